/** The uncommitted diff (``provenance/git.diff``, ``git diff HEAD --binary``) split into
 *  classified lines for display: file headers, hunk headers, added, removed and context
 *  lines with their old and new line numbers, and the language of the file each code line
 *  belongs to, for syntax highlighting. */

export type DiffLineKind =
  | "file" // diff --git a/x b/x
  | "meta" // index …, new file mode …, rename from …, Binary files … differ
  | "old-file" // --- a/x
  | "new-file" // +++ b/x
  | "hunk" // @@ -1,2 +1,3 @@ def f():
  | "add"
  | "del"
  | "context"
  | "no-newline" // \ No newline at end of file
  | "binary"; // the base85 lines of a GIT binary patch

export interface DiffLine {
  kind: DiffLineKind;
  /** the line without its +/-/space prefix for add, del and context; else the whole line */
  text: string;
  oldNo: number | null;
  newNo: number | null;
  /** the file's path (new side, or old side for a deletion) */
  file: string | null;
  /** a highlight.js language name for code lines of a known file type, else null */
  language: string | null;
}

const BY_EXTENSION: Record<string, string> = {
  py: "python", pyi: "python", pyx: "python",
  yaml: "yaml", yml: "yaml",
  json: "json", ipynb: "json", jsonl: "json",
  sh: "bash", bash: "bash", zsh: "bash",
  toml: "ini", ini: "ini", cfg: "ini", conf: "ini",
  md: "markdown", markdown: "markdown",
  mk: "makefile",
};
const BY_NAME: Record<string, string> = {
  dockerfile: "dockerfile", containerfile: "dockerfile", makefile: "makefile", gnumakefile: "makefile",
};

/** The highlight.js language for a path, or null (highlighted as plain text). */
export function languageOf(path: string | null): string | null {
  if (!path) return null;
  const name = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  if (name in BY_NAME) return BY_NAME[name];
  if (name.startsWith("dockerfile.") || name.endsWith(".dockerfile")) return "dockerfile";
  const dot = name.lastIndexOf(".");
  return dot > 0 ? (BY_EXTENSION[name.slice(dot + 1)] ?? null) : null;
}

/** "a/src/x.py" -> "src/x.py"; quoted paths (git quotes unusual names) lose their quotes. */
function stripPrefix(path: string): string | null {
  let p = path.trim();
  if (p.startsWith('"') && p.endsWith('"')) p = p.slice(1, -1);
  if (p === "/dev/null") return null;
  return /^[ab]\//.test(p) ? p.slice(2) : p;
}

function gitHeaderPath(line: string): string | null {
  // "diff --git a/x b/x": the b/ side; ambiguous with spaces, so --- / +++ refine it
  const m = /^diff --git (?:"?a\/.*?"?) ("?b\/.*"?)$/.exec(line);
  return m ? stripPrefix(m[1]) : null;
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** Classify every line of a unified diff.  Inside a hunk the line counts of its header
 *  decide, so a removed line that reads "--- x" stays a removed line. */
export function parseDiff(diff: string): DiffLine[] {
  const lines = diff.split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop(); // the final newline
  const out: DiffLine[] = [];
  let file: string | null = null;
  let oldNo = 0;
  let newNo = 0;
  let oldLeft = 0;
  let newLeft = 0;
  let binary = false;
  const push = (kind: DiffLineKind, text: string, o: number | null = null, n: number | null = null) =>
    out.push({ kind, text, oldNo: o, newNo: n, file, language: kind === "add" || kind === "del" || kind === "context" ? languageOf(file) : null });

  for (const raw of lines) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (oldLeft > 0 || newLeft > 0) {
      const mark = line[0];
      if (mark === "+" && newLeft > 0) {
        push("add", line.slice(1), null, newNo++);
        newLeft--;
        continue;
      }
      if (mark === "-" && oldLeft > 0) {
        push("del", line.slice(1), oldNo++, null);
        oldLeft--;
        continue;
      }
      if ((mark === " " || line === "") && oldLeft > 0 && newLeft > 0) {
        push("context", line.slice(1), oldNo++, newNo++);
        oldLeft--;
        newLeft--;
        continue;
      }
      if (mark === "\\") {
        push("no-newline", line);
        continue;
      }
      oldLeft = newLeft = 0; // a malformed hunk: fall through to the headers
    }
    const hunk = HUNK.exec(line);
    if (line.startsWith("diff --git ")) {
      file = gitHeaderPath(line);
      binary = false;
      push("file", line);
    } else if (hunk) {
      oldNo = Number(hunk[1]);
      newNo = Number(hunk[3]);
      oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      newLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
      binary = false;
      push("hunk", line);
    } else if (line.startsWith("--- ")) {
      file = stripPrefix(line.slice(4)) ?? file;
      push("old-file", line);
    } else if (line.startsWith("+++ ")) {
      file = stripPrefix(line.slice(4)) ?? file;
      push("new-file", line);
    } else if (line.startsWith("\\")) {
      push("no-newline", line);
    } else if (line === "GIT binary patch") {
      binary = true;
      push("meta", line);
    } else {
      push(binary && line !== "" ? "binary" : "meta", line);
    }
  }
  return out;
}

export interface DiffStats {
  files: number;
  added: number;
  removed: number;
}

export function diffStats(lines: DiffLine[]): DiffStats {
  const stats: DiffStats = { files: 0, added: 0, removed: 0 };
  for (const l of lines) {
    if (l.kind === "file") stats.files++;
    else if (l.kind === "add") stats.added++;
    else if (l.kind === "del") stats.removed++;
  }
  // a diff without "diff --git" headers (plain diff -u) still has files
  if (!stats.files) stats.files = lines.filter((l) => l.kind === "new-file").length;
  return stats;
}
