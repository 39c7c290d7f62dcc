import { useQuery } from "@tanstack/react-query";
import { Navigate, useLocation } from "react-router-dom";
import { ErrorState, Loading } from "../../components/States";
import { loginPath } from "../../lib/signIn";
import { sessionQuery } from "./session";

/** Renders the app once the session is known; without one (on a server that asks for it)
 *  every page but the login page sends the user there, to come back afterwards. */
export function SessionGate({ children }: { children: React.ReactNode }) {
  const session = useQuery(sessionQuery);
  const location = useLocation();
  if (session.isPending) return <Loading what="your session" />;
  if (session.isError) return <ErrorState error={session.error} />;
  const { auth, user } = session.data;
  if (auth && !user && location.pathname !== "/login") {
    return <Navigate to={loginPath(location.pathname + location.search)} replace />;
  }
  return <>{children}</>;
}
