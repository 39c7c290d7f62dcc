/** What the signed-in user may do in a project, from the session and the role the server
 *  reports for the project (``GET /api/v1/projects``: each project's ``role``, already the
 *  higher of the user's membership and the project's default role), mirroring the server's
 *  RolePolicy (services/roles.py): a role includes the ones below it, and a server admin (or
 *  a server with auth off) may do everything.  The server still judges every call; this
 *  only decides which controls the UI shows. */

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

/** A project as the projects list gives it: its name and the caller's role there. */
export interface ProjectLike {
  name: string;
  role?: string | null;
}

export type Permissions = Record<ProjectAction, boolean> & {
  /** The role held in the project (null: none, not known yet, or an admin/auth-off session). */
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

/** The caller's role in ``project`` from the projects list (null while the list is unknown,
 *  when the project is not in it, or when the server names no role). */
export function roleIn(projects: ReadonlyArray<ProjectLike> | undefined, project: string): Role | null {
  const role = projects?.find((p) => p.name === project)?.role;
  return isRole(role) ? role : null;
}

export function allows(role: Role | null, action: ProjectAction): boolean {
  return rank(role) >= rank(NEEDED[action]);
}

/** Every action's answer at once: what the UI shows.  ``role`` null (not known yet, or
 *  none) allows nothing but what the session alone allows. */
export function permissions(session: SessionLike, role: Role | null): Permissions {
  const unrestricted = !session.auth || session.admin;
  const held = session.auth && session.user ? role : null;
  const can = (action: ProjectAction) => unrestricted || allows(held, action);
  return {
    role: held,
    unrestricted,
    read: can("read"),
    write: can("write"),
    delete: can("delete"),
    maintain: can("maintain"),
    manage: can("manage"),
  };
}
