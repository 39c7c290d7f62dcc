/** Sign-in, users, tokens, project members and the audit log, through the generated client
 *  (the CSRF header and the 401 signal come from ./credentials). */
import { Audit, Auth, Members, Users } from "../client/sdk.gen";
import type {
  AuditEntryPublic,
  AuditPagePublic,
  AuditVerificationPublic,
  MemberPublic,
  MembersPublic,
  NewTokenPublic,
  SessionPublic,
  TokenPublic,
  UserPublic,
} from "../client/types.gen";
import { setCsrfToken } from "./credentials";
import { unwrap } from "./index";

export type {
  AuditEntryPublic,
  AuditPagePublic,
  AuditVerificationPublic,
  MemberPublic,
  MembersPublic,
  NewTokenPublic,
  SessionPublic,
  TokenPublic,
  UserPublic,
};

export type MemberRole = "viewer" | "editor" | "maintainer" | "owner";
export type TokenScope = "read" | "write" | "admin";

export interface AuditFilter {
  project?: string | null;
  run_id?: string | null;
  actor?: string | null;
}

/** A session answer also carries the CSRF token every later change must send. */
function remember(session: SessionPublic): SessionPublic {
  setCsrfToken(session.csrf_token);
  return session;
}

const user = (name: string) => ({ path: { name } });

export const accountsApi = {
  session: () => unwrap(Auth.authSession()).then(remember),
  login: (body: { user: string; password: string }) => unwrap(Auth.authLogin({ body })).then(remember),
  logout: () => unwrap(Auth.authLogout({ body: {} })).then(() => setCsrfToken(null)),

  listUsers: () => unwrap(Users.usersListUsers()).then((d) => d.users),
  addUser: (body: { name: string; admin: boolean; service: boolean }) => unwrap(Users.usersAddUser({ body })),
  disableUser: (name: string) => unwrap(Users.usersDisableUser({ ...user(name), body: {} })),
  enableUser: (name: string) => unwrap(Users.usersEnableUser({ ...user(name), body: {} })),
  getUser: (name: string) => unwrap(Users.usersGetUser(user(name))),
  /** Sets a password (your own, or anyone's for an admin); the server wants 12 characters or
   *  more, and ``current`` when you change your own and have one.  The user's other sessions
   *  and login links end. */
  setPassword: (name: string, password: string, current: string | null = null) =>
    unwrap(Users.usersSetPassword({ ...user(name), body: current === null ? { password } : { password, current } })).then(
      () => undefined,
    ),
  loginLink: (name: string) => unwrap(Users.usersCreateLoginLink({ ...user(name), body: {} })).then((d) => d.url),

  listTokens: (name: string) => unwrap(Users.usersListTokens(user(name))).then((d) => d.tokens),
  createToken: (name: string, body: { scope: TokenScope; expires_in: string | null; label: string | null }) =>
    unwrap(Users.usersCreateToken({ ...user(name), body })),
  revokeToken: (id: string) => unwrap(Users.usersRevokeToken({ path: { token_id: id } })),

  members: (project: string) => unwrap(Members.membersListMembers({ path: { project } })),
  setMember: (project: string, name: string, role: MemberRole) =>
    unwrap(Members.membersSetMember({ path: { project, name }, body: { role } })),
  removeMember: (project: string, name: string) =>
    unwrap(Members.membersRemoveMember({ path: { project, name } })),
  setDefaultRole: (project: string, role: "viewer" | "editor" | null) =>
    unwrap(Members.membersSetDefaultRole({ path: { project }, body: { role } })),

  audit: (filter: AuditFilter, pageToken: string | null, limit = 50) =>
    unwrap(Audit.auditListEntries({ query: { ...filter, limit, page_token: pageToken } })),
  verifyAudit: () => unwrap(Audit.auditVerify({ body: {} })),
};
