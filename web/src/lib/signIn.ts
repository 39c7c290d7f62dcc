/** Small decisions of signing in, kept pure: which requests carry the CSRF token, which
 *  answers mean the session is gone, where the login page sends the user back to, what the
 *  login page says about a failure, and whether a new password will do (and what the
 *  password form says). */

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** A request that may change something must send the session's CSRF token. */
export function needsCsrf(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/** A 401 means the session ended (expired, signed out elsewhere, user disabled), except on
 *  the sign-in routes themselves, where it answers the attempt (a wrong password). */
export function endsSession(url: string, status: number): boolean {
  if (status !== 401) return false;
  const path = url.startsWith("/") ? url : new URL(url, "http://x").pathname;
  return !path.startsWith("/api/v1/auth/");
}

/** The page to return to after signing in: a path of this UI only (never another origin,
 *  never the login page itself). */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  if (next === "/login" || next.startsWith("/login?") || next.startsWith("/login#")) return "/";
  return next;
}

/** The login page's address that comes back to ``here`` (a path with its query). */
export function loginPath(here: string): string {
  const next = safeNext(here);
  return next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`;
}

/** What ``/login?error=…`` (set by the server's redirects) means. */
export function redirectError(code: string | null): string | null {
  if (code === "link") return "That login link was already used or is invalid.";
  if (code === "oidc") return "The OpenID Connect sign-in did not complete; try again or ask an admin.";
  if (code) return "Signing in did not complete; try again.";
  return null;
}

/** The login form's message for a refused attempt (an ApiError's status, code and details). */
export function loginFailure(error: { status: number; code: string; message: string; details: Record<string, unknown> }): string {
  if (error.code === "too_many_attempts") {
    const wait = Number(error.details["retry_after_s"]);
    return Number.isFinite(wait) && wait > 0 ? `Too many attempts, try again in ${wait} s.` : "Too many attempts, try again later.";
  }
  // the server's own words: "wrong user name or password", "user 'ana' is disabled"
  const text = error.message || `Signing in failed (HTTP ${error.status}).`;
  return text[0].toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? "" : ".");
}

/** The server's shortest password (core/accounts.py's MIN_PASSWORD; the OpenAPI schema's
 *  minLength, which the generated types do not carry). */
export const MIN_PASSWORD = 12;

/** Why a new password would be refused before asking the server (null: send it).
 *  ``current`` is the current-password field when the form asks for it (changing your own
 *  password once you have one), null when it does not. */
export function passwordProblem(password: string, repeated: string, current: string | null = null): string | null {
  if (current !== null && current === "") return "Type your current password too.";
  if (password.length < MIN_PASSWORD) return `A password needs at least ${MIN_PASSWORD} characters (this one has ${password.length}).`;
  if (password !== repeated) return "The two passwords differ.";
  return null;
}

/** Whether the password form asks for the current password: the server wants it when you
 *  change your own and already have one (an admin setting another's password does not). */
export function asksCurrentPassword(self: boolean, hasPassword: boolean): boolean {
  return self && hasPassword;
}

/** The server's refusal of a new password, in words: a wrong or missing current password
 *  (403, details ``{field: "current", reason: "current_password"}``) said plainly, other
 *  refusals in the server's message minus the field path of a schema error ("password:
 *  String should have at least 12 characters"). */
export function passwordRefusal(error: { status: number; code: string; message: string; details?: Record<string, unknown> }): string {
  if (error.code === "permission_denied" && error.details?.["reason"] === "current_password") {
    return "The current password is not right.";
  }
  const text = (error.message || `Setting the password failed (HTTP ${error.status}).`).replace(/^(password|current): /, "");
  return text[0].toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? "" : ".");
}

/** What a set password means, once the server took it: the user signs in with it, and their
 *  other sessions and unused login links ended (the session making the change stays). */
export function passwordSet(user: string, self: boolean): string {
  return self
    ? `Sign in as ${user} with it from now on. Your other sessions were signed out and unused login links no longer work.`
    : `${user} can sign in with it from now on. Their open sessions were signed out and unused login links no longer work.`;
}
