import { describe, expect, it } from "vitest";
import { allows, heldRole, permissions, roleOf } from "./roles";

const signedIn = (user: string, admin = false) => ({ auth: true, user, admin });
const members = (rows: [string, string][], default_role: string | null = null) => ({
  members: rows.map(([user, role]) => ({ user, role })),
  default_role,
});

describe("heldRole", () => {
  it("takes the higher of the membership and the default role", () => {
    expect(heldRole("editor", "viewer")).toBe("editor");
    expect(heldRole("viewer", "owner")).toBe("owner");
    expect(heldRole(null, "maintainer")).toBe("maintainer");
    expect(heldRole("viewer", null)).toBe("viewer");
  });
  it("is null with neither, and ignores names that are not roles", () => {
    expect(heldRole(null, null)).toBeNull();
    expect(heldRole("superuser", undefined)).toBeNull();
  });
});

describe("roleOf", () => {
  it("finds the signed-in user's row", () => {
    expect(roleOf(signedIn("ana"), members([["bo", "owner"], ["ana", "editor"]]))).toBe("editor");
  });
  it("falls back to the default role for a user without a row", () => {
    expect(roleOf(signedIn("cy"), members([["bo", "owner"]], "viewer"))).toBe("viewer");
    expect(roleOf(signedIn("cy"), members([["bo", "owner"]]))).toBeNull();
  });
  it("knows nothing before the members are loaded or without a user", () => {
    expect(roleOf(signedIn("ana"), undefined)).toBeNull();
    expect(roleOf({ auth: true, user: null, admin: false }, members([["ana", "owner"]]))).toBeNull();
  });
});

describe("allows: each role includes the ones below it", () => {
  const table: [string | null, string[]][] = [
    [null, []],
    ["viewer", ["read"]],
    ["editor", ["read", "write"]],
    ["maintainer", ["read", "write", "delete", "maintain"]],
    ["owner", ["read", "write", "delete", "maintain", "manage"]],
  ];
  for (const [role, allowed] of table) {
    it(`${role ?? "no role"} may ${allowed.join(", ") || "nothing"}`, () => {
      for (const action of ["read", "write", "delete", "maintain", "manage"] as const) {
        expect(allows(role as never, action)).toBe(allowed.includes(action));
      }
    });
  }
});

describe("permissions", () => {
  it("hides every write control from a viewer", () => {
    const may = permissions(signedIn("vi"), members([["vi", "viewer"]]));
    expect(may).toMatchObject({ role: "viewer", unrestricted: false, read: true, write: false, delete: false, maintain: false, manage: false });
  });
  it("lets an editor annotate but not delete or seal", () => {
    const may = permissions(signedIn("ed"), members([["ed", "editor"]]));
    expect([may.write, may.delete, may.maintain, may.manage]).toEqual([true, false, false, false]);
  });
  it("gives a server admin everything, member or not", () => {
    const may = permissions(signedIn("root", true), members([]));
    expect(may.unrestricted && may.manage && may.delete).toBe(true);
  });
  it("gives everything on a server with auth off", () => {
    const may = permissions({ auth: false, user: null, admin: false }, undefined);
    expect(may.write && may.manage).toBe(true);
  });
  it("allows nothing while the members are unknown", () => {
    const may = permissions(signedIn("ana"), undefined);
    expect([may.read, may.write, may.manage]).toEqual([false, false, false]);
  });
});
