/** What the artifacts tab shows for a file: how to preview it, and the preview's data from
 *  the first bytes of the file. */
import Papa from "papaparse";

/** How many bytes a text, JSON or CSV preview reads (one Range request). */
export const PREVIEW_BYTES = 64 * 1024;
/** Rows of a CSV/TSV preview (after the header). */
export const PREVIEW_ROWS = 50;

export type PreviewKind = "text" | "json" | "csv" | "tsv" | "image" | "other";

const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"]);
const IMAGE_EXTS: Record<string, string> = {
  png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp", svg: "image/svg+xml",
};
const TEXT_TYPES = new Set([
  "application/javascript", "application/x-javascript", "application/xml", "application/x-yaml",
  "application/yaml", "application/toml", "application/x-sh", "application/x-python", "application/x-ndjson",
  "application/jsonl", "application/x-jsonlines", "application/sql",
]);
const TEXT_EXTS = new Set([
  "txt", "log", "md", "rst", "yaml", "yml", "toml", "ini", "cfg", "conf", "py", "sh", "jsonl", "ndjson", "xml",
  "html", "htm", "css", "js", "ts", "sql", "out", "err", "diff", "patch", "tex",
]);

/** "text/csv; charset=utf-8" -> "text/csv" */
export function baseMediaType(mediaType: string): string {
  return mediaType.split(";")[0].trim().toLowerCase();
}

export function extension(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

/** The media type declared by the client wins; a generic one falls back to the extension. */
export function previewKind(path: string, mediaType: string): PreviewKind {
  const type = baseMediaType(mediaType);
  const ext = extension(path);
  const generic = type === "application/octet-stream" || type === "";
  if (IMAGE_TYPES.has(type) || (generic && ext in IMAGE_EXTS)) return "image";
  if (type === "text/csv" || (generic && ext === "csv")) return "csv";
  if (type === "text/tab-separated-values" || (generic && ext === "tsv")) return "tsv";
  if (type === "application/json" || type.endsWith("+json") || (generic && ext === "json")) return "json";
  if (type.startsWith("text/") || TEXT_TYPES.has(type) || (generic && TEXT_EXTS.has(ext))) {
    // a text/plain file named .csv or .json is still best shown as a table or a tree
    if (ext === "csv") return "csv";
    if (ext === "tsv") return "tsv";
    if (ext === "json") return "json";
    return "text";
  }
  return "other";
}

/** The file's URL, each path segment escaped ("eval/a b.png" -> ".../files/eval/a%20b.png"). */
export function artifactFileUrl(runId: string, path: string, opts: { download?: boolean } = {}): string {
  const escaped = path.split("/").map(encodeURIComponent).join("/");
  const url = `/api/v1/runs/${encodeURIComponent(runId)}/artifacts/files/${escaped}`;
  return opts.download ? `${url}?download=true` : url;
}

export function shortDigest(digest: string): string {
  return digest.slice(0, 12);
}

export interface TextPreview {
  text: string;
  /** the file is longer than what was read */
  truncated: boolean;
  /** NUL bytes or mostly undecodable: not worth showing as text */
  binary: boolean;
}

/** Decode the first bytes of a file.  When they are only the head of it, a multi-byte
 *  character cut at the end is dropped rather than shown as "�". */
export function decodeText(bytes: Uint8Array, size: number): TextPreview {
  const truncated = size > bytes.length;
  const head = bytes.length > PREVIEW_BYTES ? bytes.subarray(0, PREVIEW_BYTES) : bytes;
  const cut = truncated || head.length < bytes.length;
  const text = new TextDecoder("utf-8").decode(head, { stream: cut });
  let bad = 0;
  for (const ch of text) if (ch === "\uFFFD") bad += 1;
  const binary = head.includes(0) || (text.length > 0 && bad / text.length > 0.05);
  return { text, truncated: cut, binary };
}

/** Pretty-printed JSON, or null when the text is not (all of) a JSON document. */
export function prettyJson(preview: TextPreview): string | null {
  if (preview.truncated) return null;
  try {
    return JSON.stringify(JSON.parse(preview.text), null, 2);
  } catch {
    return null;
  }
}

export interface TablePreview {
  header: string[];
  rows: string[][];
  /** more rows exist than are shown (or the file was cut before its end) */
  more: boolean;
  errors: string[];
}

/** The first ``maxRows`` rows of a CSV or TSV head, its first row taken as the header. */
export function parseTable(preview: TextPreview, kind: "csv" | "tsv", maxRows = PREVIEW_ROWS): TablePreview {
  let text = preview.text;
  if (preview.truncated) {
    // the last line is probably cut in the middle: leave it out
    const nl = text.lastIndexOf("\n");
    text = nl >= 0 ? text.slice(0, nl) : text;
  }
  const result = Papa.parse<string[]>(text, {
    delimiter: kind === "tsv" ? "\t" : "",
    preview: maxRows + 2,
    skipEmptyLines: true,
  });
  const [header = [], ...rest] = result.data;
  const rows = rest.slice(0, maxRows);
  return {
    header,
    rows,
    more: rest.length > maxRows || preview.truncated,
    errors: result.errors
      .filter((e) => e.code !== "UndetectableDelimiter")
      .slice(0, 3)
      .map((e) => (e.row != null ? `row ${e.row + 1}: ${e.message}` : e.message)),
  };
}
