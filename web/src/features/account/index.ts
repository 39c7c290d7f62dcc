/** The signed-in user's own account, and the password form the Users page shares. */
export { AccountPage } from "./AccountPage";
export { PasswordForm } from "./PasswordForm";
