import { describe, expect, it } from "vitest";
import { allows, isRole, permissions, roleIn } from "./roles";

const signedIn = (user: string, admin = false) => ({ auth: true, user, admin });
const projects = (...rows: [string, string | null | undefined][]) => rows.map(([name, role]) => ({ name, role }));

describe("roleIn: the role the projects list reports", () => {
  it("takes the named project's role as the server gives it", () => {
    const list = projects(["vision", "editor"], ["nlp", "owner"]);
    expect(roleIn(list, "vision")).toBe("editor");
    expect(roleIn(list, "nlp")).toBe("owner");
  });
  it("is null for a project not in the list, or without a role", () => {
    const list = projects(["vision", null], ["nlp", undefined]);
    expect(roleIn(list, "secret")).toBeNull();
    expect(roleIn(list, "vision")).toBeNull(); // auth off, or an admin holding none
    expect(roleIn(list, "nlp")).toBeNull(); // an older server that sends no role
  });
  it("knows nothing before the list is loaded, and ignores names that are not roles", () => {
    expect(roleIn(undefined, "vision")).toBeNull();
    expect(roleIn(projects(["vision", "superuser"]), "vision")).toBeNull();
  });
  it("matches the name exactly", () => {
    expect(roleIn(projects(["Vision", "owner"]), "vision")).toBeNull();
  });
});

describe("isRole", () => {
  it("accepts the four roles only", () => {
    expect(["viewer", "editor", "maintainer", "owner"].every(isRole)).toBe(true);
    expect([null, undefined, "", "admin", "Owner"].some(isRole)).toBe(false);
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
    const may = permissions(signedIn("vi"), "viewer");
    expect(may).toMatchObject({ role: "viewer", unrestricted: false, read: true, write: false, delete: false, maintain: false, manage: false });
  });
  it("lets an editor annotate but not delete or seal", () => {
    const may = permissions(signedIn("ed"), "editor");
    expect([may.write, may.delete, may.maintain, may.manage]).toEqual([true, false, false, false]);
  });
  it("lets a maintainer seal and delete but not manage members", () => {
    const may = permissions(signedIn("ma"), "maintainer");
    expect([may.write, may.delete, may.maintain, may.manage]).toEqual([true, true, true, false]);
  });
  it("gives a server admin everything, with a role or none", () => {
    for (const role of [null, "viewer"] as const) {
      const may = permissions(signedIn("root", true), role);
      expect(may.unrestricted && may.manage && may.delete).toBe(true);
    }
  });
  it("gives everything on a server with auth off", () => {
    const may = permissions({ auth: false, user: null, admin: false }, null);
    expect(may.write && may.manage).toBe(true);
    expect(may.role).toBeNull();
  });
  it("allows nothing while the role is unknown or none", () => {
    const may = permissions(signedIn("ana"), null);
    expect([may.read, may.write, may.manage]).toEqual([false, false, false]);
  });
  it("allows nothing without a signed-in user, whatever role is passed", () => {
    const may = permissions({ auth: true, user: null, admin: false }, "owner");
    expect([may.role, may.read, may.manage]).toEqual([null, false, false]);
  });
});
