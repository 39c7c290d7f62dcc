/** A project's members and roles. */
export { MembersPage } from "./MembersPage";
