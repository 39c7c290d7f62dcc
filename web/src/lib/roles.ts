/** What the signed-in user may do in a project, from the session and the project's members,
 *  mirroring the server's RolePolicy (services/roles.py): a role includes the ones below it,
 *  the role held is the higher of the user's membership and the project's default role, and
 *  a server admin (or a server with auth off) may do everything.  The server still judges
 *  every call; this only decides which controls the UI shows. */

export const ROLES = ["viewer", "editor", "maintainer", "owner"] as const;
export type Role = (typeof ROLES)[number];

/** What a control does, as the policy sees it (core/identity.py's Action, per project). */
export type ProjectAction = "read" | "write" | "delete" | "maintain" | "manage";

const NEEDED: Record<ProjectAction, Role> = {
  read: "viewer", // look at runs, metrics, artifacts, the run's audit entries
  write: "editor", // log runs, edit notes and tags
  delete: "maintainer", // delete a run
  maintain: "maintainer", // seal, required fields, the project's audit log
  manage: "owner", // members and the default role
};

export interface SessionLike {
  auth: boolean;
  user: string | null;
  admin: boolean;
}

export interface MembersLike {
  members: ReadonlyArray<{ user: string; role: string }>;
  default_role?: string | null;
}

export type Permissions = Record<ProjectAction, boolean> & {
  /** The role held in the project (null: none, or an admin/auth-off session). */
  role: Role | null;
  /** Everything is allowed whatever the role: a server admin, or a server with auth off. */
  unrestricted: boolean;
};

function rank(role: string | null | undefined): number {
  return ROLES.indexOf(role as Role) + 1; // 0 for null or a name that is not a role
}

export function isRole(name: string | null | undefined): name is Role {
  return rank(name) > 0;
}

/** The higher of two roles (either may be missing). */
export function heldRole(defaultRole: string | null | undefined, memberRole: string | null | undefined): Role | null {
  const best = Math.max(rank(defaultRole), rank(memberRole));
  return best ? ROLES[best - 1] : null;
}

/** The user's role in a project from its members list (null while unknown or none). */
export function roleOf(session: SessionLike, members: MembersLike | undefined): Role | null {
  if (!members || !session.user) return null;
  const row = members.members.find((m) => m.user === session.user);
  return heldRole(members.default_role, row?.role);
}

export function allows(role: Role | null, action: ProjectAction): boolean {
  return rank(role) >= rank(NEEDED[action]);
}

/** Every action's answer at once: what the UI shows.  ``members`` undefined (not loaded yet,
 *  or refused) allows nothing but what the session alone allows. */
export function permissions(session: SessionLike, members: MembersLike | undefined): Permissions {
  const unrestricted = !session.auth || session.admin;
  const role = roleOf(session, members);
  const can = (action: ProjectAction) => unrestricted || allows(role, action);
  return {
    role,
    unrestricted,
    read: can("read"),
    write: can("write"),
    delete: can("delete"),
    maintain: can("maintain"),
    manage: can("manage"),
  };
}
