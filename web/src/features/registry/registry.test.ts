import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { alertFeatures, psiSeries } from "./drift";
import {
  BOX, lane, layoutLineage, modelMissingDeployments, nodeLink, nodeText, withDeploymentDetails, withDeploymentRecords, type LineageEdge, type LineageNode } from "./lineageLayout";
import { policyYaml, scalar } from "./policyText";
import { aliasProblem, gateLine, refusedGates } from "./refusal";

describe("policyYaml", () => {
  it("writes a stored policy as block YAML, quoting rules that YAML would misread", () => {
    const policy = { require: [], metrics: ["acc >= 0.9", "acc >= champion.acc - 0.002"], approvals: 1, clean_commit: false };
    expect(policyYaml(policy)).toBe(
      ['require: []', 'metrics:', '  - "acc >= 0.9"', '  - "acc >= champion.acc - 0.002"', "approvals: 1", "clean_commit: false"].join("\n"),
    );
  });
  it("nests mappings and keeps plain words bare", () => {
    expect(policyYaml({ drift: { psi: 0.2, ks: 0.1 }, require: ["git.commit", "datasets.training"] })).toBe(
      ["drift:", "  psi: 0.2", "  ks: 0.1", "require:", "  - git.commit", "  - datasets.training"].join("\n"),
    );
    expect(policyYaml({})).toBe("{}");
  });
  it("quotes texts that would read as numbers, booleans, null or nothing", () => {
    expect(scalar("1.5")).toBe('"1.5"');
    expect(scalar("yes")).toBe('"yes"');
    expect(scalar("")).toBe('""');
    expect(scalar("a: b")).toBe('"a: b"');
    expect(scalar(null)).toBe("null");
  });
});

describe("refusals", () => {
  const failed = { gate: "metrics", rule: "acc >= 0.9", passed: false, message: "acc is 0.85, needs >= 0.9", actual: 0.85, expected: 0.9 };
  it("says the rule and what the server found", () => {
    expect(gateLine(failed)).toBe("acc >= 0.9: acc is 0.85, needs >= 0.9");
  });
  it("takes the failed gates from a 409 gate_failed only", () => {
    const refusal = new ApiError(409, "gate_failed", "refused", { failed: [failed], gates: [failed] });
    expect(refusedGates(refusal)).toEqual([failed]);
    expect(refusedGates(new ApiError(409, "conflict", "no"))).toBeNull();
    expect(refusedGates(new Error("x"))).toBeNull();
  });
  it("checks alias names as the server does", () => {
    expect(aliasProblem("champion")).toBeNull();
    expect(aliasProblem("_staging-2")).toBeNull();
    expect(aliasProblem("")).toBe("Name an alias.");
    expect(aliasProblem("latest")).toMatch(/names a version/);
    expect(aliasProblem("V3")).toMatch(/names a version/);
    expect(aliasProblem("2fast")).toMatch(/starts with a letter/);
    expect(aliasProblem("a".repeat(65))).toMatch(/at most 64/);
  });
});

describe("drift", () => {
  const p = (time_ms: number, feature: string, psi: number, alert = false) => ({ time_ms, version: 2, feature, count: 10, psi, ks: null, alert });
  it("pivots points into one PSI series per feature on a shared time axis", () => {
    const s = psiSeries([p(2000, "x", 0.5, true), p(1000, "x", 0.1), p(1000, "plan", 0), p(3000, "plan", 2, true)]);
    expect(s.times).toEqual([1, 2, 3]);
    expect(s.features).toEqual(["plan", "x"]);
    expect(s.psi).toEqual([[0, null, 2], [0.1, 0.5, null]]);
    expect(s.alerts).toEqual([2, 3]);
  });
  it("names an alert's drifting features, worst first", () => {
    const features = { x: { psi: 1.3457, ks: 0.4606, alert: true }, plan: { psi: 17.72, ks: null, alert: true }, y: { psi: 0.01, alert: false } };
    expect(alertFeatures(features).map((f) => f.text)).toEqual(["plan (psi 17.7)", "x (psi 1.35, ks 0.46)"]);
  });
});

describe("lineage layout", () => {
  const node = (id: string, extra: Record<string, unknown> = {}): LineageNode => {
    const kind = id.split(":")[0];
    return { id, kind, label: `${kind} ${id.split(":")[1].slice(0, 8)}`, ...extra };
  };
  const nodes = [
    node("deployment:1"),
    node("version:churn/2", { model: "churn", version: 2 }),
    node("run:b", { name: "acc0.95" }),
    node("run:a", { name: "acc0.85" }),
    node("blob:ff"),
    node("dataset:dd", { name: "train" }),
    node("commit:cc"),
  ];
  const edges: LineageEdge[] = [
    { from: "version:churn/2", to: "deployment:1", relation: "deployed as" },
    { from: "run:b", to: "version:churn/2", relation: "registered as" },
    { from: "blob:ff", to: "version:churn/2", relation: "file of" },
    { from: "dataset:dd", to: "run:b", relation: "training" },
    { from: "dataset:dd", to: "run:a", relation: "training" },
    { from: "commit:cc", to: "run:b", relation: "code" },
  ];
  it("puts kinds in columns in data-flow order, leaving empty ones out", () => {
    const layout = layoutLineage(nodes, edges);
    expect(layout.columns.map((c) => c.title)).toEqual(["Inputs", "Runs", "Files", "Versions", "Deployments"]);
    const col = (id: string) => layout.nodes.find((n) => n.node.id === id)!.column;
    expect([col("dataset:dd"), col("commit:cc"), col("run:a"), col("blob:ff"), col("version:churn/2"), col("deployment:1")]).toEqual([0, 0, 1, 2, 3, 4]);
    expect(layout.edges).toHaveLength(6);
    expect(layoutLineage([node("run:a")], []).columns.map((c) => c.title)).toEqual(["Runs"]);
  });
  it("keeps kinds together in a column and draws each edge left to right", () => {
    const layout = layoutLineage(nodes, edges);
    const inputs = layout.nodes.filter((n) => n.column === 0).sort((a, b) => a.row - b.row).map((n) => n.node.kind);
    expect(inputs).toEqual(["dataset", "commit"]);
    for (const e of layout.edges) {
      const [x1, x2] = [Number(e.path.split(" ")[1]), Number(e.path.split(" ").at(-2))];
      expect(x1).toBeLessThan(x2);
    }
  });
  it("orders a column by its neighbours so lines do not cross", () => {
    const graph = [node("run:r1", { name: "a" }), node("run:r2", { name: "b" }), node("version:m/1"), node("version:m/2")];
    const links = [
      { from: "run:r1", to: "version:m/2", relation: "registered as" },
      { from: "run:r2", to: "version:m/1", relation: "registered as" },
    ];
    const layout = layoutLineage(graph, links);
    const rows = (kind: string) => layout.nodes.filter((n) => n.node.kind === kind).sort((a, b) => a.row - b.row).map((n) => n.node.id);
    expect(rows("run")).toEqual(["run:r1", "run:r2"]);
    expect(rows("version")).toEqual(["version:m/2", "version:m/1"]);
  });
  it("routes a line that skips a column through a gap, not behind a box", () => {
    const layout = layoutLineage(nodes, edges);
    const path = layout.edges.find((e) => e.edge.from === "run:b" && e.edge.to === "version:churn/2")!.path;
    const blob = layout.nodes.find((n) => n.node.id === "blob:ff")!;
    const along = path.split(" L ")[1]; // the straight stretch across the files column
    expect(along).toBeDefined();
    const y = Number(along.split(" ")[1]);
    expect(y < blob.y || y > blob.y + BOX.height).toBe(true);
    expect(lane([{ y: 100 }], 40)).toBe(40); // a line that misses every box goes straight
    expect(lane([{ y: 100 }, { y: 172 }], 130)).toBe(100 + BOX.height + BOX.rowGap / 2);
  });
  it("links nodes to their pages", () => {
    expect(nodeLink(node("run:abc"))?.to).toBe("/runs/abc");
    expect(nodeLink(node("version:churn/2"))?.to).toBe("/models/churn");
    expect(nodeLink(node("deployment:1", { model: "churn" }))?.to).toBe("/models/churn");
    expect(nodeLink(node("dataset:dd"))?.to).toBe("/lineage?node=dataset%3Add");
    expect(nodeLink(node("commit:cc"))).toBeNull();
  });
  it("fills in a deployment's model from its version and words the boxes", () => {
    const [dep] = withDeploymentDetails([node("deployment:1")], edges);
    expect(dep).toMatchObject({ model: "churn", version: 2 });
    expect(nodeText({ ...dep, env: "prod" }).title).toBe("prod: churn v2");
    expect(modelMissingDeployments([dep])).toBe("churn");
    const [full] = withDeploymentRecords([dep], [{ id: 1, env: "prod", since_ms: 5, url: null }]);
    expect(nodeText(full).title).toBe("prod: churn v2");
    expect(modelMissingDeployments([full])).toBeNull();
    expect(nodeText(node("run:b", { name: "acc0.95", status: "finished" }))).toEqual({ title: "acc0.95", detail: "run b · finished" });
  });
});

describe("alias states", () => {
  const event = (id: number, alias: string, kind: "promote" | "refuse" | "rollback" | "unset", from: number | null, to: number | null) =>
    ({ id, alias, time_ms: id * 1000, actor: `u${id}`, kind, from_version: from, to_version: to, gates: [] });
  it("names every alias held or with a policy, with who moved it last and when", async () => {
    const { aliasStates } = await import("./aliases");
    const events = [event(3, "champion", "refuse", 2, 1), event(2, "champion", "promote", null, 2), event(1, "staging", "unset", 1, null)];
    expect(aliasStates({ champion: 2 }, [{ alias: "champion" }, { alias: "canary" }, { alias: null }], events)).toEqual([
      { alias: "canary", version: null, sinceMs: null, movedBy: null, hasPolicy: true },
      { alias: "champion", version: 2, sinceMs: 2000, movedBy: "u2", hasPolicy: true },
    ]);
  });
  it("words each kind of move", async () => {
    const { eventMove } = await import("./aliases");
    expect(eventMove({ kind: "promote", from_version: null, to_version: 2 })).toBe("nothing → v2");
    expect(eventMove({ kind: "rollback", from_version: 2, to_version: 1 })).toBe("v2 → v1");
    expect(eventMove({ kind: "refuse", from_version: null, to_version: 1 })).toBe("v1 refused (stays at nothing)");
    expect(eventMove({ kind: "unset", from_version: 1, to_version: null })).toBe("v1 → nothing");
  });
});
