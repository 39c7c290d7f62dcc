/** Reading the environment document ``ll.init()`` captured (docs/provenance.md).  It is
 *  plain JSON from the server with no schema beyond "an object": every section may be
 *  missing (capture parts can be switched off), null (captured, nothing found) or carry
 *  fields a newer SDK added, so the UI reads it defensively and shows what is there. */

export type Section = Record<string, unknown>;
export type EnvironmentDoc = Record<string, unknown>;

/** The parts ``LABLEDGER_CAPTURE`` can switch off; ``python`` comes with ``packages``. */
export type SectionState = "present" | "none" | "not-captured";

export function isObject(value: unknown): value is Section {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A section of the document, or null when it is absent or not an object. */
export function section(env: EnvironmentDoc | null | undefined, name: string): Section | null {
  const value = env?.[name];
  return isObject(value) ? value : null;
}

/** "present"; "none" when captured but nothing was found (not in CI, not in a container);
 *  "not-captured" when the part was switched off or the SDK predates it. */
export function sectionState(env: EnvironmentDoc | null | undefined, name: string): SectionState {
  if (!env) return "not-captured";
  if (isObject(env[name])) return "present";
  const parts = section(env, "capture")?.parts;
  const captured = Array.isArray(parts) ? parts.includes(name) : name in env;
  return captured && env[name] === null ? "none" : "not-captured";
}

/** A string or number as text; anything else null. */
export function text(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null;
}

/** Any JSON value for display: "—" for nothing, yes/no, lists joined, objects as JSON. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string" || typeof value === "number") return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === "string" || typeof v === "number")) {
    return value.length ? value.join(", ") : "—";
  }
  return JSON.stringify(value);
}

const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One argument quoted for a POSIX shell, only when it needs it. */
export function shellQuote(arg: string): string {
  if (arg === "") return "''";
  if (SHELL_SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** ``argv`` as a command line one can paste into a shell. */
export function commandLine(argv: unknown): string | null {
  if (!Array.isArray(argv) || argv.length === 0) return null;
  return argv.map((a) => shellQuote(String(a))).join(" ");
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "clean", or "dirty: 2 changed files, 1 untracked file". */
export function dirtySummary(git: Section): string {
  if (git.dirty === false) return "clean";
  if (git.dirty !== true) return "unknown";
  const changed = typeof git.changed_count === "number" ? git.changed_count : null;
  const untracked = typeof git.untracked_count === "number" ? git.untracked_count : null;
  const parts = [
    changed ? plural(changed, "changed file") : null,
    untracked ? plural(untracked, "untracked file") : null,
  ].filter(Boolean);
  return parts.length ? `dirty: ${parts.join(", ")}` : "dirty";
}

export function shortSha(sha: string | null): string | null {
  return sha ? sha.slice(0, 12) : null;
}

/** "ssh://git@host/org/repo.git" and "git@host:org/repo.git" -> a browsable https URL,
 *  when the remote looks like one; null otherwise (a local path, say). */
export function remoteWebUrl(remote: string | null): string | null {
  if (!remote) return null;
  const scp = /^[\w.-]+@([\w.-]+):(?!\/)(.+?)(?:\.git)?\/?$/.exec(remote);
  if (scp) return `https://${scp[1]}/${scp[2]}`;
  const url = /^(?:https?|ssh|git):\/\/(?:[^@/]+@)?([\w.-]+)(?::\d+)?\/(.+?)(?:\.git)?\/?$/.exec(remote);
  return url ? `https://${url[1]}/${url[2]}` : null;
}

/** The facts the compare view lines up for each run. */
export interface EnvironmentFacts {
  commit: string | null;
  branch: string | null;
  dirty: string | null;
  python: string | null;
  packages: string | null;
}

export function environmentFacts(env: EnvironmentDoc | null | undefined): EnvironmentFacts {
  const git = section(env, "git");
  const python = section(env, "python");
  const packages = section(env, "packages");
  const version = text(python?.version);
  const impl = text(python?.implementation);
  return {
    commit: text(git?.commit),
    branch: git ? (text(git.branch) ?? "(detached)") : null,
    dirty: git ? dirtySummary(git) : null,
    python: version ? (impl && impl !== "CPython" ? `${impl} ${version}` : version) : null,
    packages: text(packages?.count),
  };
}

/** The run's capture timings: "git 29 ms, packages 5 ms". */
export function captureSummary(env: EnvironmentDoc | null | undefined): string | null {
  const ms = section(section(env, "capture"), "ms");
  if (!ms) return null;
  const parts = Object.entries(ms)
    .filter((e): e is [string, number] => typeof e[1] === "number")
    .map(([part, t]) => `${part} ${t < 10 ? t.toFixed(1) : Math.round(t)} ms`);
  return parts.length ? parts.join(", ") : null;
}
