import { describe, expect, it } from "vitest";
import {
  asksCurrentPassword,
  endsSession,
  loginFailure,
  loginPath,
  MIN_PASSWORD,
  needsCsrf,
  passwordProblem,
  passwordRefusal,
  passwordSet,
  redirectError,
  safeNext,
} from "./signIn";

describe("needsCsrf", () => {
  it("is needed by every method that may change something", () => {
    for (const m of ["POST", "PUT", "PATCH", "DELETE", "post"]) expect(needsCsrf(m)).toBe(true);
    for (const m of ["GET", "HEAD", "OPTIONS", "get"]) expect(needsCsrf(m)).toBe(false);
  });
});

describe("endsSession", () => {
  it("treats a 401 from the app's requests as the end of the session", () => {
    expect(endsSession("http://h:1/api/v1/projects", 401)).toBe(true);
    expect(endsSession("/api/v1/runs/search", 401)).toBe(true);
  });
  it("leaves the sign-in routes' 401 (a wrong password) to the login form", () => {
    expect(endsSession("http://h:1/api/v1/auth/login", 401)).toBe(false);
    expect(endsSession("http://h:1/api/v1/auth/session", 401)).toBe(false);
  });
  it("ignores other statuses (a 403 is a refusal, not a lost session)", () => {
    expect(endsSession("http://h:1/api/v1/projects", 403)).toBe(false);
    expect(endsSession("http://h:1/api/v1/projects", 200)).toBe(false);
  });
});

describe("safeNext and loginPath", () => {
  it("keeps a path of this UI with its query", () => {
    expect(safeNext("/runs/abc?tab=audit")).toBe("/runs/abc?tab=audit");
  });
  it("refuses other origins and the login page itself", () => {
    for (const bad of ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "/login", "/login?next=/x", "", null]) {
      expect(safeNext(bad)).toBe("/");
    }
  });
  it("comes back to where the user was", () => {
    expect(loginPath("/runs/abc?tab=audit")).toBe("/login?next=%2Fruns%2Fabc%3Ftab%3Daudit");
    expect(loginPath("/")).toBe("/login");
  });
});

describe("the login page's messages", () => {
  it("explains the server's redirects", () => {
    expect(redirectError("link")).toBe("That login link was already used or is invalid.");
    expect(redirectError("oidc")).toMatch(/OpenID Connect/);
    expect(redirectError(null)).toBeNull();
  });
  it("says how long to wait after too many attempts", () => {
    const err = { status: 429, code: "too_many_attempts", message: "too many failed logins", details: { retry_after_s: 42 } };
    expect(loginFailure(err)).toBe("Too many attempts, try again in 42 s.");
  });
  it("passes the server's words on a refused password", () => {
    const err = { status: 401, code: "unauthenticated", message: "wrong user name or password", details: {} };
    expect(loginFailure(err)).toBe("Wrong user name or password.");
  });
});

describe("passwordProblem", () => {
  it("wants the server's minimum length, saying how long the password is", () => {
    expect(MIN_PASSWORD).toBe(12);
    expect(passwordProblem("short", "short")).toBe("A password needs at least 12 characters (this one has 5).");
    expect(passwordProblem("", "")).toMatch(/at least 12/);
  });
  it("wants the same password twice", () => {
    expect(passwordProblem("correct horse battery", "correct horse batery")).toBe("The two passwords differ.");
  });
  it("lets a long enough, repeated password through (spaces count)", () => {
    expect(passwordProblem("twelve chars", "twelve chars")).toBeNull();
  });
  it("wants the current password when the form asks for it, and only then", () => {
    expect(passwordProblem("twelve chars", "twelve chars", "")).toBe("Type your current password too.");
    expect(passwordProblem("twelve chars", "twelve chars", "the old one")).toBeNull();
    expect(passwordProblem("twelve chars", "twelve chars", null)).toBeNull();
    expect(passwordProblem("short", "short", "the old one")).toMatch(/at least 12/);
  });
});

describe("asksCurrentPassword", () => {
  it("asks when you change your own password and have one", () => {
    expect(asksCurrentPassword(true, true)).toBe(true);
  });
  it("does not ask for your first password or an admin setting another's", () => {
    expect(asksCurrentPassword(true, false)).toBe(false);
    expect(asksCurrentPassword(false, true)).toBe(false);
    expect(asksCurrentPassword(false, false)).toBe(false);
  });
});

describe("passwordRefusal", () => {
  it("drops the field path of a schema error and ends the sentence", () => {
    const error = { status: 422, code: "invalid_body", message: "password: String should have at least 12 characters" };
    expect(passwordRefusal(error)).toBe("String should have at least 12 characters.");
  });
  it("keeps the server's other words, capitalised", () => {
    expect(passwordRefusal({ status: 403, code: "permission_denied", message: "only an admin may do that" })).toBe(
      "Only an admin may do that.",
    );
    expect(passwordRefusal({ status: 500, code: "http_error", message: "" })).toBe("Setting the password failed (HTTP 500).");
  });
  it("says plainly that the current password is wrong or missing", () => {
    const error = {
      status: 403,
      code: "permission_denied",
      message: "changing your own password needs the current one (field current)",
      details: { field: "current", reason: "current_password" },
    };
    expect(passwordRefusal(error)).toBe("The current password is not right.");
  });
  it("keeps another 403 in the server's words", () => {
    const error = { status: 403, code: "permission_denied", message: "only an admin may do that", details: {} };
    expect(passwordRefusal(error)).toBe("Only an admin may do that.");
  });
  it("drops the current field's path of a schema error too", () => {
    const error = { status: 422, code: "invalid_body", message: "current: String should have at most 1000 characters" };
    expect(passwordRefusal(error)).toBe("String should have at most 1000 characters.");
  });
});

describe("passwordSet", () => {
  it("says that your other sessions were signed out", () => {
    expect(passwordSet("pat", true)).toBe(
      "Sign in as pat with it from now on. Your other sessions were signed out and unused login links no longer work.",
    );
  });
  it("says that the other user's sessions were signed out", () => {
    expect(passwordSet("carol", false)).toMatch(/^carol can sign in with it from now on\. Their open sessions were signed out/);
  });
});
