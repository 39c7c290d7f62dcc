/** What every request of the UI carries, configured once: the session cookie goes by
 *  itself (same origin), the session's CSRF token is added to every request that may change
 *  something, and a 401 outside the sign-in routes tells the app the session is gone.
 *  Requests through the generated client get this from its interceptors; the few raw
 *  ``fetch`` calls go through ``rawFetch``. */
import { client } from "../client/client.gen";
import { endsSession, needsCsrf } from "../lib/signIn";

export const CSRF_HEADER = "X-CSRF-Token";

let csrfToken: string | null = null;
let sessionEnded: () => void = () => {};

/** The token from the session probe or the login answer (null: none, e.g. auth off). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called whenever the server answers 401 to a request made while using the app. */
export function onSessionEnded(handler: () => void): void {
  sessionEnded = handler;
}

function withCsrf(method: string, headers: Headers): Headers {
  if (csrfToken && needsCsrf(method) && !headers.has(CSRF_HEADER)) headers.set(CSRF_HEADER, csrfToken);
  return headers;
}

function noteAnswer(url: string, status: number): void {
  if (endsSession(url, status)) sessionEnded();
}

client.interceptors.request.use((request) => {
  withCsrf(request.method, request.headers);
  return request;
});
client.interceptors.response.use((response, request) => {
  noteAnswer(request.url, response.status);
  return response;
});

/** ``fetch`` with the same rules as the generated client (for what it cannot express). */
export async function rawFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = withCsrf(init.method ?? "GET", new Headers(init.headers));
  const response = await fetch(url, { ...init, headers });
  noteAnswer(response.url || url, response.status);
  return response;
}
