import { describe, expect, it } from "vitest";
import { diffStats, languageOf, parseDiff } from "./diffLines";
import { highlightCode, isSupported } from "./highlight";

const DIFF = [
  "diff --git a/train.py b/train.py",
  "index fb0d073..5d7e8bd 100644",
  "--- a/train.py",
  "+++ b/train.py",
  "@@ -1,3 +1,4 @@ import os",
  " import os",
  "-print(1)",
  "+print(2)",
  "+x = 3",
  " ",
  "diff --git a/conf/base.yaml b/conf/base.yaml",
  "new file mode 100644",
  "index 0000000..e69de29",
  "--- /dev/null",
  "+++ b/conf/base.yaml",
  "@@ -0,0 +1 @@",
  "+lr: 0.1",
  "\\ No newline at end of file",
  "",
].join("\n");

describe("parseDiff", () => {
  const lines = parseDiff(DIFF);
  it("classifies headers, hunks and code lines", () => {
    expect(lines.map((l) => l.kind)).toEqual([
      "file", "meta", "old-file", "new-file", "hunk", "context", "del", "add", "add", "context",
      "file", "meta", "meta", "old-file", "new-file", "hunk", "add", "no-newline",
    ]);
  });
  it("strips the +/-/space prefix of code lines only", () => {
    expect(lines[7].text).toBe("print(2)");
    expect(lines[6].text).toBe("print(1)");
    expect(lines[9].text).toBe("");
    expect(lines[4].text).toBe("@@ -1,3 +1,4 @@ import os");
  });
  it("numbers old and new lines from the hunk header", () => {
    const numbers = lines.slice(5, 10).map((l) => [l.oldNo, l.newNo]);
    expect(numbers).toEqual([[1, 1], [2, null], [null, 2], [null, 3], [3, 4]]);
    expect([lines[16].oldNo, lines[16].newNo]).toEqual([null, 1]);
  });
  it("knows each line's file and the language of code lines", () => {
    expect(lines[7]).toMatchObject({ file: "train.py", language: "python" });
    expect(lines[16]).toMatchObject({ file: "conf/base.yaml", language: "yaml" });
    expect(lines[4].language).toBeNull(); // headers are not code
  });
  it("keeps a removed line that looks like a header inside its hunk", () => {
    const tricky = parseDiff("--- a/n.md\n+++ b/n.md\n@@ -1,2 +1,1 @@\n--- a/old\n+++ b/new\n");
    expect(tricky.map((l) => l.kind)).toEqual(["old-file", "new-file", "hunk", "del", "add"]);
    expect(tricky[3].text).toBe("-- a/old");
  });
  it("treats a hunk header without counts as one line", () => {
    const one = parseDiff("@@ -3 +3 @@\n-a\n+b\n c\n");
    expect(one.map((l) => l.kind)).toEqual(["hunk", "del", "add", "meta"]);
  });
  it("marks the base85 lines of a binary patch", () => {
    const bin = parseDiff(
      "diff --git a/w.bin b/w.bin\nindex 1..2 100644\nGIT binary patch\nliteral 4\nLcmZQzWMT#Y01f~L\n\nliteral 0\nHcmV?d00001\n\n",
    );
    expect(bin.map((l) => l.kind)).toEqual(["file", "meta", "meta", "binary", "binary", "meta", "binary", "binary", "meta"]);
  });
  it("accepts CRLF line ends and an empty diff", () => {
    expect(parseDiff("@@ -1 +1 @@\r\n-a\r\n+b\r\n").map((l) => l.text)).toEqual(["@@ -1 +1 @@", "a", "b"]);
    expect(parseDiff("")).toEqual([]);
  });
  it("counts files, added and removed lines", () => {
    expect(diffStats(lines)).toEqual({ files: 2, added: 3, removed: 1 });
  });
});

describe("languageOf", () => {
  it("maps extensions and well-known names", () => {
    expect(languageOf("src/model.py")).toBe("python");
    expect(languageOf("conf/x.YML")).toBe("yaml");
    expect(languageOf("pyproject.toml")).toBe("ini");
    expect(languageOf("docker/Dockerfile")).toBe("dockerfile");
    expect(languageOf("Makefile")).toBe("makefile");
    expect(languageOf("notes.txt")).toBeNull();
    expect(languageOf(".bashrc")).toBeNull();
    expect(languageOf(null)).toBeNull();
  });
  it("only names languages the highlighter registers", () => {
    for (const path of ["a.py", "a.yaml", "a.json", "a.sh", "a.toml", "a.md", "Dockerfile", "Makefile"]) {
      expect(isSupported(languageOf(path) as string)).toBe(true);
    }
  });
});

describe("highlightCode", () => {
  it("wraps tokens in hljs spans and escapes the text", () => {
    const html = highlightCode("x = 3  # <b>", "python");
    expect(html).toContain('<span class="hljs-number">3</span>');
    expect(html).toContain('<span class="hljs-comment"># &lt;b&gt;</span>');
  });
});
