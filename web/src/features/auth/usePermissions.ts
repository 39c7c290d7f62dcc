/** What the signed-in user may do in a project: its role is the one the projects list
 *  reports for it (the server takes the higher of membership and default role) unless the
 *  session is a server admin's or the server runs without auth. */
import { useQuery } from "@tanstack/react-query";
import { api } from "../../api";
import { permissions, roleIn, type Permissions } from "../../lib/roles";
import { useSession } from "./session";

/** The projects the user may read, each with the user's role: one cache entry shared by the
 *  projects page and every page that asks what the user may do. */
export const projectsQuery = { queryKey: ["projects"], queryFn: api.listProjects };

/** Nothing is allowed until the projects list is known (controls appear, never disappear,
 *  as the answer arrives). */
export function usePermissions(project: string | undefined): Permissions & { settled: boolean } {
  const session = useSession();
  const needed = !!project && session.auth && !session.admin && !!session.user;
  const projects = useQuery({ ...projectsQuery, enabled: needed });
  // settled: the answer will not change any more (what the page marks for tests and tools)
  const settled = !!project && (!needed || !projects.isPending);
  return { ...permissions(session, needed ? roleIn(projects.data, project) : null), settled };
}
