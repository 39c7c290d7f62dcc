import { describe, expect, it } from "vitest";
import {
  compareVersions, diffPackages, filterPackages, isEmptyDiff, normalizeName, packageRows, packageVersions,
} from "./packages";

describe("diffPackages", () => {
  const base = { numpy: "1.26.4", torch: "2.2.0", "typing_extensions": "4.9.0", six: "1.16.0" };
  const other = { numpy: "2.0.1", torch: "2.1.0", "typing-extensions": "4.9.0", pandas: "2.2.2", attrs: "23.2.0" };
  const diff = diffPackages(base, other);
  it("lists added, removed and changed packages by name", () => {
    expect(diff.added).toEqual([{ name: "attrs", version: "23.2.0" }, { name: "pandas", version: "2.2.2" }]);
    expect(diff.removed).toEqual([{ name: "six", version: "1.16.0" }]);
    expect(diff.changed).toEqual([
      { name: "numpy", from: "1.26.4", to: "2.0.1", direction: 1 },
      { name: "torch", from: "2.2.0", to: "2.1.0", direction: -1 },
    ]);
  });
  it("matches names after PEP 503 normalisation", () => {
    expect(diff.same).toBe(1);
    expect(normalizeName("Typing_Extensions")).toBe("typing-extensions");
    expect(normalizeName("zope.interface")).toBe("zope-interface");
  });
  it("is empty for the same set", () => {
    expect(isEmptyDiff(diffPackages(base, { ...base }))).toBe(true);
    expect(isEmptyDiff(diff)).toBe(false);
  });
});

describe("compareVersions", () => {
  it("compares release segments numerically", () => {
    expect(compareVersions("1.10.0", "1.9.2")).toBe(1);
    expect(compareVersions("1.9", "1.10")).toBe(-1);
    expect(compareVersions("2.0", "2.0.0")).toBe(0);
    expect(compareVersions("v3.1", "3.0")).toBe(1);
  });
  it("does not order what it cannot read", () => {
    expect(compareVersions("1.0rc1", "1.0")).toBe(0);
    expect(compareVersions("abc", "1.0")).toBe(0);
  });
});

describe("package rows", () => {
  const section = {
    count: 3,
    packages: { torch: "2.2.0", "my-lib": "0.1.0", Numpy: "1.26.4" },
    direct_urls: { "my-lib": { url: "file:///src/my-lib", editable: true, git_commit: "abc123" } },
  };
  const rows = packageRows(section);
  it("sorts by name and marks direct URL installs", () => {
    expect(rows.map((r) => r.name)).toEqual(["my-lib", "Numpy", "torch"]);
    expect(rows[0].direct).toEqual({ url: "file:///src/my-lib", editable: true, commit: "abc123" });
    expect(rows[2].direct).toBeNull();
  });
  it("filters by normalised name, version, or direct installs only", () => {
    expect(filterPackages(rows, "MY_LIB").map((r) => r.name)).toEqual(["my-lib"]);
    expect(filterPackages(rows, "2.2").map((r) => r.name)).toEqual(["torch"]);
    expect(filterPackages(rows, "  ").length).toBe(3);
    expect(filterPackages(rows, "", true).map((r) => r.name)).toEqual(["my-lib"]);
    expect(filterPackages(rows, "torch", true)).toEqual([]);
  });
  it("reads name -> version from a document, null without packages", () => {
    expect(packageVersions({ packages: section })).toEqual(section.packages);
    expect(packageVersions({ git: {} })).toBeNull();
    expect(packageVersions(null)).toBeNull();
  });
});
