/** Server admins' page of users. */
export { UsersPage } from "./UsersPage";
