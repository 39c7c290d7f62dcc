import { describe, expect, it } from "vitest";
import {
  artifactFileUrl, baseMediaType, decodeText, parseTable, prettyJson, previewKind, PREVIEW_BYTES, shortDigest,
} from "./artifactPreview";
import {
  ancestors, artifactTree, initiallyExpanded, latestCheckpoint, visibleRows, type ArtifactLike, type FolderNode,
} from "./artifactTree";
import { formatBytes } from "./format";

function entry(path: string, size = 1, extra: Partial<ArtifactLike> = {}): ArtifactLike {
  return { path, size, digest: "a".repeat(64), state: "stored", step: null, created_ms: 0, ...extra };
}

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("formatBytes", () => {
  it("uses binary units with one decimal below ten", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1024)).toBe("1 KiB");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(65536)).toBe("64 KiB");
    expect(formatBytes(16 * 1024 * 1024)).toBe("16 MiB");
    expect(formatBytes(3.25 * 1024 ** 3)).toBe("3.3 GiB");
  });
  it("does not show 1024 of a unit", () => {
    expect(formatBytes(1024 * 1024 - 1)).toBe("1 MiB");
  });
  it("is empty for a missing size", () => {
    expect(formatBytes(null)).toBe("");
  });
});

describe("artifactTree", () => {
  const tree = artifactTree([
    entry("model.pt", 100),
    entry("eval/plots/loss.png", 10, { state: "pending" }),
    entry("eval/metrics.json", 5),
    entry("eval/plots/acc.png", 20),
    entry("a.txt", 1),
  ]);
  it("puts folders first, then files, by name", () => {
    expect(tree.map((n) => `${n.kind}:${n.path}`)).toEqual(["folder:eval", "file:a.txt", "file:model.pt"]);
    const evalDir = tree[0] as FolderNode;
    expect(evalDir.children.map((n) => n.path)).toEqual(["eval/plots", "eval/metrics.json"]);
    expect((evalDir.children[0] as FolderNode).children.map((n) => n.name)).toEqual(["acc.png", "loss.png"]);
  });
  it("sums sizes, files and pending uploads per folder", () => {
    const evalDir = tree[0] as FolderNode;
    expect([evalDir.size, evalDir.files, evalDir.pending]).toEqual([35, 3, 1]);
    const plots = evalDir.children[0] as FolderNode;
    expect([plots.size, plots.files, plots.pending]).toEqual([30, 2, 1]);
  });
  it("keeps a file and a folder of the same name apart", () => {
    const t = artifactTree([entry("a"), entry("a/b")]);
    expect(t.map((n) => `${n.kind}:${n.path}`)).toEqual(["folder:a", "file:a"]);
  });
  it("is empty for no entries", () => {
    expect(artifactTree([])).toEqual([]);
  });
});

describe("visibleRows", () => {
  const tree = artifactTree([entry("x/y/z.txt"), entry("x/w.txt"), entry("top.txt")]);
  it("hides what is inside collapsed folders", () => {
    expect(visibleRows(tree, new Set()).map((r) => r.node.path)).toEqual(["x", "top.txt"]);
    expect(visibleRows(tree, new Set(["x/y"])).map((r) => r.node.path)).toEqual(["x", "top.txt"]);
  });
  it("shows opened folders' children one level deeper", () => {
    const rows = visibleRows(tree, new Set(["x", "x/y"]));
    expect(rows.map((r) => [r.node.path, r.depth])).toEqual([
      ["x", 0], ["x/y", 1], ["x/y/z.txt", 2], ["x/w.txt", 1], ["top.txt", 0],
    ]);
  });
  it("opens everything of a small manifest, only the top of a large one", () => {
    expect(Array.from(initiallyExpanded(tree)).sort()).toEqual(["x", "x/y"]);
    expect(Array.from(initiallyExpanded(tree, 2))).toEqual(["x"]);
  });
  it("names the folders that contain a path", () => {
    expect(ancestors("a/b/c.txt")).toEqual(["a", "a/b"]);
    expect(ancestors("c.txt")).toEqual([]);
  });
});

describe("latestCheckpoint", () => {
  it("is the highest step, the newest on a tie, null without steps", () => {
    const a = entry("ckpt/step-10/m.pt", 1, { step: 10, created_ms: 5 });
    const b = entry("ckpt/step-20/m.pt", 1, { step: 20, created_ms: 1 });
    const c = entry("ckpt/step-20/opt.pt", 1, { step: 20, created_ms: 2 });
    expect(latestCheckpoint([a, b, c, entry("x")])?.path).toBe("ckpt/step-20/opt.pt");
    expect(latestCheckpoint([entry("x")])).toBeNull();
  });
  it("skips checkpoints still uploading: they cannot be downloaded yet", () => {
    const done = entry("ckpt/step-10/m.pt", 1, { step: 10 });
    const uploading = entry("ckpt/step-20/m.pt", 1, { step: 20, state: "pending" });
    expect(latestCheckpoint([done, uploading])?.path).toBe("ckpt/step-10/m.pt");
  });
});

describe("previewKind", () => {
  it("trusts a specific media type", () => {
    expect(previewKind("plot", "image/png")).toBe("image");
    expect(previewKind("x.dat", "text/csv; charset=utf-8")).toBe("csv");
    expect(previewKind("x", "application/vnd.api+json")).toBe("json");
    expect(previewKind("run.log", "text/plain")).toBe("text");
    expect(previewKind("model.pt", "application/x-pytorch")).toBe("other");
  });
  it("falls back to the extension for a generic type", () => {
    expect(previewKind("a/b.JPG", "application/octet-stream")).toBe("image");
    expect(previewKind("t.tsv", "application/octet-stream")).toBe("tsv");
    expect(previewKind("m.json", "application/octet-stream")).toBe("json");
    expect(previewKind("config.yaml", "application/octet-stream")).toBe("text");
    expect(previewKind("weights.bin", "application/octet-stream")).toBe("other");
    expect(previewKind("Makefile", "application/octet-stream")).toBe("other");
  });
  it("shows text files named .csv or .json as tables and JSON", () => {
    expect(previewKind("a.csv", "text/plain")).toBe("csv");
    expect(previewKind("a.json", "text/plain")).toBe("json");
  });
  it("strips parameters from media types", () => {
    expect(baseMediaType("Text/Plain ; charset=utf-8")).toBe("text/plain");
  });
});

describe("artifactFileUrl", () => {
  it("escapes each path segment but keeps the slashes", () => {
    expect(artifactFileUrl("r1", "eval/a b#1.png")).toBe("/api/v1/runs/r1/artifacts/files/eval/a%20b%231.png");
    expect(artifactFileUrl("r1", "m.pt", { download: true })).toBe("/api/v1/runs/r1/artifacts/files/m.pt?download=true");
  });
  it("shortens digests to 12 digits", () => {
    expect(shortDigest("0123456789abcdef".repeat(4))).toBe("0123456789ab");
  });
});

describe("decodeText", () => {
  it("decodes a whole small file", () => {
    expect(decodeText(utf8("héllo"), 6)).toEqual({ text: "héllo", truncated: false, binary: false });
  });
  it("marks the head of a longer file as truncated and drops a cut character", () => {
    const bytes = utf8("ab€"); // € is 3 bytes; keep only the first of them
    const p = decodeText(bytes.subarray(0, 3), 5);
    expect(p).toEqual({ text: "ab", truncated: true, binary: false });
  });
  it("cuts a full body the server sent instead of a range", () => {
    const p = decodeText(new Uint8Array(PREVIEW_BYTES + 10).fill(97), PREVIEW_BYTES + 10);
    expect(p.text.length).toBe(PREVIEW_BYTES);
    expect(p.truncated).toBe(true);
  });
  it("calls bytes with NUL binary", () => {
    expect(decodeText(new Uint8Array([0x89, 0x50, 0x00, 0x01]), 4).binary).toBe(true);
  });
});

describe("prettyJson", () => {
  it("pretty-prints a complete document", () => {
    expect(prettyJson(decodeText(utf8('{"a":[1,2]}'), 11))).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
  });
  it("gives up on a truncated or invalid one", () => {
    expect(prettyJson(decodeText(utf8('{"a":'), 100))).toBeNull();
    expect(prettyJson(decodeText(utf8("{nope}"), 6))).toBeNull();
  });
});

describe("parseTable", () => {
  it("takes the first row as header and honours quotes", () => {
    const t = parseTable(decodeText(utf8('epoch,note\n1,"a, b"\n2,"say ""hi"""\n'), 35), "csv");
    expect(t.header).toEqual(["epoch", "note"]);
    expect(t.rows).toEqual([["1", "a, b"], ["2", 'say "hi"']]);
    expect(t.more).toBe(false);
    expect(t.errors).toEqual([]);
  });
  it("reads tabs for TSV", () => {
    const t = parseTable(decodeText(utf8("a\tb\n1\t2\n"), 8), "tsv");
    expect(t.rows).toEqual([["1", "2"]]);
  });
  it("shows at most maxRows rows and says there are more", () => {
    const text = ["n", ...Array.from({ length: 60 }, (_, i) => String(i))].join("\n");
    const t = parseTable(decodeText(utf8(text), text.length), "csv", 50);
    expect(t.rows.length).toBe(50);
    expect(t.rows[49]).toEqual(["49"]);
    expect(t.more).toBe(true);
    expect(t.errors).toEqual([]); // one column: no delimiter to detect is fine
  });
  it("drops the cut last line of a truncated head", () => {
    const t = parseTable(decodeText(utf8("a,b\n1,2\n3,"), 1000), "csv");
    expect(t.rows).toEqual([["1", "2"]]);
    expect(t.more).toBe(true);
  });
});
