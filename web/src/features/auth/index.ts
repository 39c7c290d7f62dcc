/** Signing in and out, the session every page reads, and what the user may do per project. */
export { LoginPage } from "./LoginPage";
export { SessionGate } from "./SessionGate";
export { signedIn, signedOut, useSession, watchSession } from "./session";
export { projectsQuery, usePermissions } from "./usePermissions";
export { UserMenu } from "./UserMenu";
