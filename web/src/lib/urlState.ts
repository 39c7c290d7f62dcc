/** The runs view lives in the URL so that it can be shared as a link. */
export interface RunsViewState {
  filter: string;
  orderBy: string[]; // e.g. ["metrics.acc desc"]
  columns: string[]; // e.g. ["params.lr", "metrics.acc"]
  groupBy: string | null;
}

export const DEFAULT_VIEW: RunsViewState = { filter: "", orderBy: [], columns: [], groupBy: null };

export function readViewState(params: URLSearchParams): RunsViewState {
  const list = (name: string) =>
    params.getAll(name).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
  return {
    filter: params.get("filter") ?? "",
    orderBy: params.getAll("order").filter(Boolean),
    columns: list("cols"),
    groupBy: params.get("group") || null,
  };
}

export function writeViewState(state: RunsViewState): URLSearchParams {
  const out = new URLSearchParams();
  if (state.filter.trim()) out.set("filter", state.filter);
  for (const o of state.orderBy) out.append("order", o);
  if (state.columns.length) out.set("cols", state.columns.join(","));
  if (state.groupBy) out.set("group", state.groupBy);
  return out;
}

/** Clicking a column header: none -> desc -> asc -> none (only one sort column). */
export function nextSort(orderBy: string[], column: string): string[] {
  const current = orderBy.find((o) => o.replace(/\s+(asc|desc)$/i, "") === column);
  if (!current) return [`${column} desc`];
  if (/\sdesc$/i.test(current)) return [`${column} asc`];
  return [];
}

export function sortDirection(orderBy: string[], column: string): "asc" | "desc" | null {
  const current = orderBy.find((o) => o.replace(/\s+(asc|desc)$/i, "") === column);
  if (!current) return null;
  return /\sdesc$/i.test(current) ? "desc" : "asc";
}
