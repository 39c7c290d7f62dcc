/** The browser's session as the whole app sees it: one cache entry, fetched when the app
 *  starts and replaced by signing in, signing out, or a 401 from any request. */
import { useQuery, type QueryClient } from "@tanstack/react-query";
import { accountsApi, type SessionPublic } from "../../api/accounts";
import { onSessionEnded, setCsrfToken } from "../../api/credentials";

export const SESSION_KEY = ["session"] as const;

export const sessionQuery = {
  queryKey: SESSION_KEY,
  queryFn: accountsApi.session,
  staleTime: Infinity, // it changes only through what this module does
  retry: 1,
};

const SIGNED_OUT = { user: null, admin: false, csrf_token: null } as const;

/** The session, once the app has it (SessionGate renders nothing before). */
export function useSession(): SessionPublic {
  const { data } = useQuery(sessionQuery);
  return data ?? { auth: true, methods: [], ...SIGNED_OUT };
}

/** After signing in as someone (maybe someone else): nothing of the last user's stays. */
export function signedIn(client: QueryClient, session: SessionPublic): void {
  client.clear();
  client.setQueryData(SESSION_KEY, session);
}

/** After signing out, or when the server stops accepting the session: the app goes to the
 *  login page (SessionGate); the last user's data is dropped when someone signs in. */
export function signedOut(client: QueryClient): void {
  setCsrfToken(null);
  client.setQueryData<SessionPublic>(SESSION_KEY, (s) => (s ? { ...s, ...SIGNED_OUT } : s));
}

/** Wire the 401 signal of every request to ``signedOut`` (once, where the client is made). */
export function watchSession(client: QueryClient): void {
  onSessionEnded(() => {
    const session = client.getQueryData<SessionPublic>(SESSION_KEY);
    if (session?.auth && session.user) signedOut(client);
  });
}
