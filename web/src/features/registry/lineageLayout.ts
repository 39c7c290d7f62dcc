/** The lineage graph laid out in columns by kind, in the order data flows: datasets,
 *  commits and environments feed runs, a run is registered as versions made of blobs, a
 *  version is deployed.  Pure, so it is unit-tested; the page only draws what it returns. */

export interface LineageNode {
  id: string;
  kind: string;
  label: string;
  [extra: string]: unknown;
}

export interface LineageEdge {
  from: string;
  to: string;
  relation: string;
}

export const COLUMNS: { title: string; kinds: string[] }[] = [
  { title: "Inputs", kinds: ["dataset", "commit", "environment"] },
  { title: "Runs", kinds: ["run"] },
  { title: "Files", kinds: ["blob"] },
  { title: "Versions", kinds: ["version"] },
  { title: "Deployments", kinds: ["deployment"] },
];
const OTHER = { title: "Other", kinds: [] as string[] };

export const BOX = { width: 200, height: 58, columnGap: 64, rowGap: 14, header: 28 };

export interface PlacedNode {
  node: LineageNode;
  column: number; // index among the columns shown
  row: number;
  x: number;
  y: number;
}

export interface PlacedEdge {
  edge: LineageEdge;
  path: string; // an SVG path from the source box to the target box
}

export interface Layout {
  columns: { title: string; x: number }[];
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

function columnOf(kind: string): number {
  const found = COLUMNS.findIndex((c) => c.kinds.includes(kind));
  return found < 0 ? COLUMNS.length : found;
}

function kindRank(kind: string): number {
  const c = COLUMNS[columnOf(kind)];
  return c ? c.kinds.indexOf(kind) : 0;
}

/** Mean row of a node's neighbours in another column (for ordering), or null. */
function barycenter(id: string, neighbours: Map<string, string[]>, rowOf: Map<string, number>): number | null {
  const rows = (neighbours.get(id) ?? []).map((n) => rowOf.get(n)).filter((r): r is number => r !== undefined);
  return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : null;
}

/** Columns (empty ones left out), each node's box, and each edge's curve. */
export function layoutLineage(nodes: ReadonlyArray<LineageNode>, edges: ReadonlyArray<LineageEdge>): Layout {
  const byColumn = new Map<number, LineageNode[]>();
  for (const n of nodes) {
    const c = columnOf(n.kind);
    byColumn.set(c, [...(byColumn.get(c) ?? []), n]);
  }
  const shown = [...byColumn.keys()].sort((a, b) => a - b);
  // first order: kind within the column, then label, then id (stable across answers)
  const order = shown.map((c) =>
    [...byColumn.get(c)!].sort(
      (a, b) => kindRank(a.kind) - kindRank(b.kind) || a.label.localeCompare(b.label) || a.id.localeCompare(b.id),
    ),
  );
  const neighbours = new Map<string, string[]>();
  for (const e of edges) {
    neighbours.set(e.from, [...(neighbours.get(e.from) ?? []), e.to]);
    neighbours.set(e.to, [...(neighbours.get(e.to) ?? []), e.from]);
  }
  // two sweeps of the barycenter heuristic: fewer crossing lines, kinds kept together
  for (let sweep = 0; sweep < 2; sweep++) {
    for (let i = 1; i < order.length; i++) reorder(order, i, neighbours);
    for (let i = order.length - 2; i >= 0; i--) reorder(order, i, neighbours);
  }
  const tallest = Math.max(0, ...order.map((col) => col.length));
  const step = BOX.height + BOX.rowGap;
  const placed = new Map<string, PlacedNode>();
  order.forEach((col, ci) => {
    const offset = ((tallest - col.length) * step) / 2; // shorter columns centred
    col.forEach((node, row) => {
      placed.set(node.id, {
        node,
        column: ci,
        row,
        x: ci * (BOX.width + BOX.columnGap),
        y: BOX.header + offset + row * step,
      });
    });
  });
  const columnBoxes = order.map((col) => col.map((n) => placed.get(n.id)!));
  const placedEdges: PlacedEdge[] = [];
  for (const edge of edges) {
    const a = placed.get(edge.from);
    const b = placed.get(edge.to);
    if (a && b) placedEdges.push({ edge, path: curve(a, b, columnBoxes) });
  }
  return {
    columns: shown.map((c, i) => ({ title: (COLUMNS[c] ?? OTHER).title, x: i * (BOX.width + BOX.columnGap) })),
    nodes: [...placed.values()],
    edges: placedEdges,
    width: Math.max(0, shown.length * (BOX.width + BOX.columnGap) - BOX.columnGap),
    height: BOX.header + tallest * step,
  };
}

function reorder(order: LineageNode[][], i: number, neighbours: Map<string, string[]>): void {
  // neighbours' heights as drawn: shorter columns are centred
  const tallest = Math.max(...order.map((col) => col.length));
  const rowOf = new Map<string, number>();
  for (const j of [i - 1, i + 1]) order[j]?.forEach((n, r) => rowOf.set(n.id, (tallest - order[j].length) / 2 + r));
  const current = new Map(order[i].map((n, r) => [n.id, r]));
  order[i] = [...order[i]].sort((a, b) => {
    const ka = kindRank(a.kind) - kindRank(b.kind);
    if (ka) return ka;
    const ba = barycenter(a.id, neighbours, rowOf) ?? current.get(a.id)!;
    const bb = barycenter(b.id, neighbours, rowOf) ?? current.get(b.id)!;
    return ba - bb || current.get(a.id)! - current.get(b.id)!;
  });
}

/** Where a line crossing column ``boxes`` at height ``y`` passes: at ``y`` when that misses
 *  every box, else through the nearest gap between boxes (above the first, below the last). */
export function lane(boxes: ReadonlyArray<{ y: number }>, y: number): number {
  const hits = boxes.some((b) => y > b.y - BOX.rowGap / 4 && y < b.y + BOX.height + BOX.rowGap / 4);
  if (!hits) return y;
  const gaps = [boxes[0].y - BOX.rowGap / 2, ...boxes.map((b) => b.y + BOX.height + BOX.rowGap / 2)];
  return gaps.reduce((best, g) => (Math.abs(g - y) < Math.abs(best - y) ? g : best));
}

/** A line from the side of one box facing the other to the other's facing side: cubic
 *  curves between columns, passing through the gaps of any column it skips (a run's line to
 *  its version goes around the files column's boxes, not behind them). */
function curve(a: PlacedNode, b: PlacedNode, columns: PlacedNode[][]): string {
  const midA = a.y + BOX.height / 2;
  const midB = b.y + BOX.height / 2;
  if (a.column === b.column) {
    const x = a.x + BOX.width;
    return `M ${x} ${midA} C ${x + 40} ${midA}, ${x + 40} ${midB}, ${x} ${midB}`;
  }
  const [left, right] = a.column < b.column ? [a, b] : [b, a];
  const [yLeft, yRight] = a.column < b.column ? [midA, midB] : [midB, midA];
  // points left to right: out of the left box, across each skipped column, into the right box
  const points: [number, number][] = [[left.x + BOX.width, yLeft]];
  const span = right.column - left.column;
  for (let c = left.column + 1; c < right.column; c++) {
    const boxes = columns[c];
    const straight = yLeft + ((yRight - yLeft) * (c - left.column)) / span;
    const y = boxes.length ? lane(boxes, straight) : straight;
    const x = boxes.length ? boxes[0].x : left.x + (c - left.column) * (BOX.width + BOX.columnGap);
    points.push([x, y], [x + BOX.width, y]);
  }
  points.push([right.x, yRight]);
  if (a.column > b.column) points.reverse();
  let d = `M ${points[0][0]} ${points[0][1]}`;
  for (let i = 1; i < points.length; i++) {
    const [x1, y1] = points[i - 1];
    const [x2, y2] = points[i];
    const inside = i % 2 === 0; // along a skipped column: straight
    if (inside) d += ` L ${x2} ${y2}`;
    else {
      const bend = (x2 - x1) / 2;
      d += ` C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`;
    }
  }
  return d;
}

/** Where a node leads in the UI: its page, or the lineage centred on it; null for none. */
export function nodeLink(node: LineageNode): { to: string; what: string } | null {
  const [kind, ...rest] = node.id.split(":");
  const key = rest.join(":");
  const model = typeof node["model"] === "string" ? node["model"] : null;
  if (kind === "run") return { to: `/runs/${encodeURIComponent(key)}`, what: "the run" };
  if (kind === "version") {
    const name = model ?? key.slice(0, key.lastIndexOf("/"));
    return { to: `/models/${encodeURIComponent(name)}`, what: "the model" };
  }
  if (kind === "deployment" && model) return { to: `/models/${encodeURIComponent(model)}`, what: "the model" };
  if (kind === "dataset" || kind === "blob") return { to: `/lineage?node=${encodeURIComponent(node.id)}`, what: "its lineage" };
  return null; // commits and environments: no page of their own
}

/** The box's two lines: what it is, then a detail (status, path, environment, branch). */
export function nodeText(node: LineageNode): { title: string; detail: string } {
  const s = (key: string) => (typeof node[key] === "string" || typeof node[key] === "number" ? String(node[key]) : "");
  switch (node.kind) {
    case "run":
      return { title: s("name") || node.label, detail: [node.label, s("status")].filter(Boolean).join(" · ") };
    case "dataset":
      return { title: s("name") ? `dataset ${s("name")}` : node.label, detail: s("name") ? node.label.replace(/^dataset /, "") : s("uri") };
    case "blob":
      return { title: s("path") || node.label, detail: node.label };
    case "commit":
      return { title: node.label, detail: [s("branch"), node["dirty"] === true ? "dirty" : ""].filter(Boolean).join(" · ") };
    case "deployment":
      return {
        title: s("env") ? `${s("env")}: ${s("model")} v${s("version")}` : node.label,
        detail: node.label,
      };
    case "version":
      return { title: node.label, detail: s("path") };
    default:
      return { title: node.label, detail: "" };
  }
}

/** The model and version of a deployment node that came without them (the node the walk
 *  started from carries no details), from the version it is deployed as. */
export function withDeploymentDetails(nodes: ReadonlyArray<LineageNode>, edges: ReadonlyArray<LineageEdge>): LineageNode[] {
  return nodes.map((n) => {
    if (n.kind !== "deployment" || typeof n["model"] === "string") return n;
    const from = edges.find((e) => e.to === n.id && e.from.startsWith("version:"))?.from;
    if (!from) return n;
    const ref = from.slice("version:".length);
    const cut = ref.lastIndexOf("/");
    return { ...n, model: ref.slice(0, cut), version: Number(ref.slice(cut + 1)) };
  });
}

/** Deployment nodes still without their environment (the walk's start) completed from the
 *  model's deployment records. */
export function withDeploymentRecords(
  nodes: ReadonlyArray<LineageNode>,
  records: ReadonlyArray<{ id: number; env: string; since_ms: number; url?: string | null }>,
): LineageNode[] {
  return nodes.map((n) => {
    if (n.kind !== "deployment" || typeof n["env"] === "string") return n;
    const found = records.find((r) => `deployment:${r.id}` === n.id);
    return found ? { ...n, env: found.env, since_ms: found.since_ms, url: found.url ?? null } : n;
  });
}

/** The model whose deployment records would complete a deployment node, or null. */
export function modelMissingDeployments(nodes: ReadonlyArray<LineageNode>): string | null {
  const bare = nodes.find((n) => n.kind === "deployment" && typeof n["env"] !== "string" && typeof n["model"] === "string");
  return bare ? (bare["model"] as string) : null;
}
