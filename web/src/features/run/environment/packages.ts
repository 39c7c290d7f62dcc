/** The ``packages`` section: rows for the packages table, searching it, and the difference
 *  between two runs' package sets for the compare view. */
import { isObject, text, type EnvironmentDoc, type Section } from "./model";

export interface DirectUrl {
  url: string | null;
  editable: boolean;
  /** the VCS commit of a ``git+`` install, or the local repository's HEAD for an editable one */
  commit: string | null;
}

export interface PackageRow {
  name: string;
  version: string;
  direct: DirectUrl | null;
}

/** name -> version, or null when the run has no packages section. */
export function packageVersions(env: EnvironmentDoc | null | undefined): Record<string, string> | null {
  const packages = isObject(env?.packages) ? (env.packages as Section).packages : undefined;
  if (!isObject(packages)) return null;
  const out: Record<string, string> = {};
  for (const [name, version] of Object.entries(packages)) out[name] = text(version) ?? "";
  return out;
}

function directUrl(value: unknown): DirectUrl | null {
  if (!isObject(value)) return null;
  const vcs = isObject(value.vcs_info) ? value.vcs_info : {};
  return {
    url: text(value.url),
    editable: value.editable === true,
    commit: text(value.git_commit) ?? text(value.commit_id) ?? text(vcs.commit_id),
  };
}

/** The table's rows, by name. */
export function packageRows(packages: Section): PackageRow[] {
  const versions = isObject(packages.packages) ? packages.packages : {};
  const direct = isObject(packages.direct_urls) ? packages.direct_urls : {};
  return Object.keys(versions)
    .sort((a, b) => a.localeCompare(b))
    .map((name) => ({ name, version: text(versions[name]) ?? "", direct: directUrl(direct[name]) }));
}

/** PEP 503: "Foo_Bar", "foo.bar" and "foo-bar" are one name. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** Rows whose name (normalised) or version contains the query; ``directOnly`` keeps the
 *  packages installed from a URL or a local folder (editable or not). */
export function filterPackages(rows: PackageRow[], query: string, directOnly = false): PackageRow[] {
  const q = normalizeName(query.trim());
  return rows.filter(
    (r) =>
      (!directOnly || r.direct !== null) &&
      (!q || normalizeName(r.name).includes(q) || r.version.toLowerCase().includes(query.trim().toLowerCase())),
  );
}

/** Compare two versions by their numeric release segments, then as text:
 *  -1 when ``a`` is older, 1 when newer, 0 when the same or not comparable. */
export function compareVersions(a: string, b: string): number {
  const release = (v: string) => (/^v?(\d+(?:\.\d+)*)/.exec(v)?.[1] ?? "").split(".").filter(Boolean).map(Number);
  const ra = release(a);
  const rb = release(b);
  if (!ra.length || !rb.length) return 0;
  for (let i = 0; i < Math.max(ra.length, rb.length); i++) {
    const d = (ra[i] ?? 0) - (rb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  // same release: 1.0rc1 < 1.0 < 1.0.post1 is beyond this; only say "differs"
  return 0;
}

export interface PackageChange {
  name: string;
  from: string;
  to: string;
  /** 1 upgraded, -1 downgraded, 0 another kind of change */
  direction: number;
}

export interface PackageDiff {
  added: { name: string; version: string }[];
  removed: { name: string; version: string }[];
  changed: PackageChange[];
  /** packages with the same version in both */
  same: number;
}

/** What changed from ``base`` to ``other``; names are matched after PEP 503 normalisation
 *  and listed by name. */
export function diffPackages(base: Record<string, string>, other: Record<string, string>): PackageDiff {
  const index = (p: Record<string, string>) => new Map(Object.entries(p).map(([n, v]) => [normalizeName(n), { name: n, version: v }]));
  const a = index(base);
  const b = index(other);
  const diff: PackageDiff = { added: [], removed: [], changed: [], same: 0 };
  for (const [key, old] of a) {
    const now = b.get(key);
    if (!now) diff.removed.push(old);
    else if (now.version === old.version) diff.same += 1;
    else diff.changed.push({ name: now.name, from: old.version, to: now.version, direction: compareVersions(now.version, old.version) });
  }
  for (const [key, now] of b) if (!a.has(key)) diff.added.push(now);
  const byName = (x: { name: string }, y: { name: string }) => x.name.localeCompare(y.name);
  diff.added.sort(byName);
  diff.removed.sort(byName);
  diff.changed.sort(byName);
  return diff;
}

export function isEmptyDiff(diff: PackageDiff): boolean {
  return !diff.added.length && !diff.removed.length && !diff.changed.length;
}
