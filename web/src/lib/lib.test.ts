import { describe, expect, it } from "vitest";
import { alignSeries, xValues } from "./align";
import { formatDuration, formatNumber } from "./format";
import { diffRows, paramTree } from "./paramTree";
import { smooth } from "./smoothing";
import { applySuggestion, suggestions, wordAt } from "./suggest";
import { nextSort, readViewState, sortDirection, writeViewState } from "./urlState";
import { fromWire, valuesFromWire } from "./wire";

describe("smooth", () => {
  it("leaves the series unchanged with weight 0", () => {
    expect(Array.from(smooth([1, 5, 2], 0))).toEqual([1, 5, 2]);
  });
  it("starts at the first value (bias corrected) and lags behind a step", () => {
    const out = smooth([1, 1, 1, 10, 10, 10], 0.6);
    expect(out[0]).toBeCloseTo(1);
    expect(out[2]).toBeCloseTo(1);
    expect(out[3]).toBeGreaterThan(1);
    expect(out[3]).toBeLessThan(10);
    expect(out[5]).toBeLessThan(10);
    expect(out[5]).toBeGreaterThan(out[4]);
  });
  it("passes NaN through without poisoning later points", () => {
    const out = smooth([2, Number.NaN, 2], 0.9);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(out[2]).toBeCloseTo(2);
  });
});

describe("alignSeries", () => {
  it("joins series on the union of x values with nulls for missing points", () => {
    const [xs, a, b] = alignSeries([
      { x: [0, 2, 4], y: [1, 2, 3] },
      { x: [1, 2], y: [9, Number.NaN] },
    ]);
    expect(xs).toEqual([0, 1, 2, 4]);
    expect(a).toEqual([1, null, 2, 3]);
    expect(b).toEqual([null, 9, null, null]);
  });
  it("computes x for step, wall time and relative time axes", () => {
    expect(Array.from(xValues("step", [3, 4], [1000, 3000], 0))).toEqual([3, 4]);
    expect(Array.from(xValues("time", [3, 4], [1000, 3000], 0))).toEqual([1, 3]);
    expect(Array.from(xValues("relative", [3, 4], [1000, 3000], 1000))).toEqual([0, 2]);
  });
});

describe("url state", () => {
  it("round-trips filter, order, columns and grouping", () => {
    const state = {
      filter: "metrics.acc > 0.9 and params.lr = '0.1'",
      orderBy: ["metrics.acc desc"],
      columns: ["params.lr", "metrics.acc"],
      groupBy: "params.optimizer",
    };
    expect(readViewState(new URLSearchParams(writeViewState(state).toString()))).toEqual(state);
  });
  it("omits defaults from the URL", () => {
    expect(writeViewState({ filter: " ", orderBy: [], columns: [], groupBy: null }).toString()).toBe("");
  });
  it("cycles a column's sort through desc, asc and none", () => {
    expect(nextSort([], "metrics.acc")).toEqual(["metrics.acc desc"]);
    expect(nextSort(["metrics.acc desc"], "metrics.acc")).toEqual(["metrics.acc asc"]);
    expect(nextSort(["metrics.acc asc"], "metrics.acc")).toEqual([]);
    expect(nextSort(["name asc"], "metrics.acc")).toEqual(["metrics.acc desc"]);
    expect(sortDirection(["metrics.acc asc"], "metrics.acc")).toBe("asc");
    expect(sortDirection(["metrics.acc asc"], "name")).toBeNull();
  });
});

describe("params", () => {
  it("builds a tree from dotted keys", () => {
    const tree = paramTree({ "optimizer.name": "adam", "optimizer.lr": "0.1", seed: "1" });
    expect(tree.map((n) => n.name)).toEqual(["optimizer", "seed"]);
    expect(tree[0].children.map((c) => [c.name, c.value])).toEqual([["lr", "0.1"], ["name", "adam"]]);
    expect(tree[1].value).toBe("1");
  });
  it("marks keys whose values differ between runs, including missing ones", () => {
    const rows = diffRows([{ lr: "0.1", opt: "adam" }, { lr: "0.2", opt: "adam" }, { opt: "adam" }]);
    expect(rows).toEqual([
      { key: "lr", values: ["0.1", "0.2", undefined], differs: true },
      { key: "opt", values: ["adam", "adam", "adam"], differs: false },
    ]);
  });
});

describe("filter suggestions", () => {
  const keys = { params: ["lr", "optimizer.name", "my key"], metrics: ["acc", "val/loss"], tags: ["team"] };
  it("completes the field under the cursor", () => {
    expect(suggestions("metrics.a", 9, keys)).toEqual(["metrics.acc"]);
    expect(suggestions("params.op", 9, keys)).toEqual(["params.optimizer.name"]);
    expect(suggestions("params.my", 9, keys)).toEqual(["params.`my key`"]);
  });
  it("offers nothing inside a string literal", () => {
    expect(wordAt("name = 'metr", 12)).toBeNull();
    expect(suggestions("name = 'metr", 12, keys)).toEqual([]);
  });
  it("replaces the word being typed", () => {
    expect(applySuggestion("metrics.a > 1", 9, "metrics.acc")).toEqual({ text: "metrics.acc > 1", cursor: 11 });
  });
});

describe("formatting and wire values", () => {
  it("formats numbers compactly and non-finite values readably", () => {
    expect(formatNumber(0.123456789)).toBe("0.12346");
    expect(formatNumber(1e-5)).toBe("1.000e-5");
    expect(formatNumber(Number.NaN)).toBe("NaN");
    expect(formatNumber(Number.NEGATIVE_INFINITY)).toBe("-∞");
    expect(formatDuration(3_723_000)).toBe("1h 2m");
  });
  it("decodes non-finite wire floats", () => {
    expect(Number.isNaN(fromWire("NaN"))).toBe(true);
    expect(Array.from(valuesFromWire([1, "Infinity", "-Infinity"]))).toEqual([1, Infinity, -Infinity]);
  });
});
