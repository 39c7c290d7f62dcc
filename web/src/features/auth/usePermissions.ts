/** What the signed-in user may do in a project: its role comes from the project's members
 *  (the user's row, or the project's default role) unless the session is a server admin's
 *  or the server runs without auth. */
import { useQuery } from "@tanstack/react-query";
import { accountsApi } from "../../api/accounts";
import { permissions, type Permissions } from "../../lib/roles";
import { useSession } from "./session";

export function membersQuery(project: string) {
  return { queryKey: ["members", project], queryFn: () => accountsApi.members(project) };
}

/** Nothing is allowed until the members are known (controls appear, never
 *  disappear, as the answer arrives). */
export function usePermissions(project: string | undefined): Permissions & { settled: boolean } {
  const session = useSession();
  const needed = !!project && session.auth && !session.admin && !!session.user;
  const members = useQuery({ ...membersQuery(project ?? ""), enabled: needed });
  // settled: the answer will not change any more (what the page marks for tests and tools)
  const settled = !!project && (!needed || !members.isPending);
  return { ...permissions(session, needed ? members.data : undefined), settled };
}
