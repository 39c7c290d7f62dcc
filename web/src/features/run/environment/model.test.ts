import { describe, expect, it } from "vitest";
import {
  captureSummary, commandLine, dirtySummary, environmentFacts, formatValue, remoteWebUrl, section, sectionState,
  shellQuote,
} from "./model";

describe("sections", () => {
  const env = {
    capture: { parts: ["git", "ci", "container"], ms: { git: 28.81, ci: 3.06 } },
    git: { commit: "a7d6da922704c28e85b62f78351138bb4c5be738", branch: null, dirty: false },
    ci: null,
    python: { version: "3.11.7", implementation: "CPython" },
  };
  it("says whether a part is there, found nothing, or was not captured", () => {
    expect(sectionState(env, "git")).toBe("present");
    expect(sectionState(env, "ci")).toBe("none");
    expect(sectionState(env, "container")).toBe("not-captured"); // listed but absent
    expect(sectionState(env, "system")).toBe("not-captured");
    expect(sectionState({ ci: null }, "ci")).toBe("none"); // an SDK without capture.parts
    expect(sectionState(null, "git")).toBe("not-captured");
    expect(section(env, "ci")).toBeNull();
  });
  it("lines up the facts the compare view shows", () => {
    expect(environmentFacts(env)).toEqual({
      commit: "a7d6da922704c28e85b62f78351138bb4c5be738", branch: "(detached)", dirty: "clean",
      python: "3.11.7", packages: null,
    });
    expect(environmentFacts({ python: { version: "3.10.13", implementation: "PyPy" } }).python).toBe("PyPy 3.10.13");
    expect(environmentFacts(null).commit).toBeNull();
  });
  it("summarises capture timings", () => {
    expect(captureSummary(env)).toBe("git 29 ms, ci 3.1 ms");
    expect(captureSummary({})).toBeNull();
  });
});

describe("formatting", () => {
  it("formats any JSON value", () => {
    expect(formatValue(null)).toBe("—");
    expect(formatValue("")).toBe("—");
    expect(formatValue(true)).toBe("yes");
    expect(formatValue(false)).toBe("no");
    expect(formatValue(12)).toBe("12");
    expect(formatValue(["a", "b"])).toBe("a, b");
    expect(formatValue([])).toBe("—");
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
  });
  it("quotes shell arguments only when needed", () => {
    expect(shellQuote("--lr=0.1")).toBe("--lr=0.1");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote("")).toBe("''");
    expect(commandLine(["train.py", "--name", "my run", "db.password=[REDACTED]"])).toBe(
      "train.py --name 'my run' 'db.password=[REDACTED]'",
    );
    expect(commandLine([])).toBeNull();
    expect(commandLine("x")).toBeNull();
  });
  it("summarises the dirty state", () => {
    expect(dirtySummary({ dirty: false })).toBe("clean");
    expect(dirtySummary({ dirty: true, changed_count: 2, untracked_count: 1 })).toBe("dirty: 2 changed files, 1 untracked file");
    expect(dirtySummary({ dirty: true, changed_count: 0, untracked_count: 0 })).toBe("dirty");
    expect(dirtySummary({})).toBe("unknown");
  });
  it("turns remotes into web links when they look like hosted repositories", () => {
    expect(remoteWebUrl("git@github.com:org/repo.git")).toBe("https://github.com/org/repo");
    expect(remoteWebUrl("https://gitlab.example.com/group/sub/repo.git")).toBe("https://gitlab.example.com/group/sub/repo");
    expect(remoteWebUrl("ssh://git@host.example:2222/org/repo")).toBe("https://host.example/org/repo");
    expect(remoteWebUrl("/srv/git/repo.git")).toBeNull();
    expect(remoteWebUrl(null)).toBeNull();
  });
});
