import type { RunPublic } from "../../api";
import { formatDuration, formatNumber, formatTime } from "../../lib/format";
import { fromWire } from "../../lib/wire";

/** A column of the runs table: a fixed attribute or a chosen param/metric/tag. */
export interface Column {
  id: string; // also the sort field, e.g. "metrics.acc"
  label: string;
  width: number;
  numeric?: boolean;
  render: (run: RunPublic) => string;
}

export const FIXED_COLUMNS: Column[] = [
  { id: "name", label: "Name", width: 220, render: (r) => r.name },
  { id: "status", label: "Status", width: 90, render: (r) => r.status },
  { id: "start_time", label: "Started", width: 135, render: (r) => formatTime(r.start_ms) },
  { id: "duration", label: "Duration", width: 90, numeric: true, render: (r) => formatDuration(r.duration_ms) },
  { id: "user", label: "User", width: 90, render: (r) => r.user ?? "" },
];

export function keyColumn(field: string): Column {
  const [kind, ...rest] = field.split(".");
  const key = rest.join(".").replace(/^`|`$/g, "");
  if (kind === "metrics") {
    return {
      id: field, label: key, width: 110, numeric: true,
      render: (r) => (key in r.metrics ? formatNumber(fromWire(r.metrics[key])) : ""),
    };
  }
  if (kind === "params") return { id: field, label: key, width: 120, render: (r) => r.params[key] ?? "" };
  return { id: field, label: `#${key}`, width: 110, render: (r) => r.tags[key] ?? "" };
}

/** Default columns when the URL names none: the first metrics and params of the project. */
export function defaultColumns(keys: { params: string[]; metrics: string[] } | undefined): string[] {
  if (!keys) return [];
  return [...keys.metrics.slice(0, 4).map((k) => `metrics.${k}`), ...keys.params.slice(0, 4).map((k) => `params.${k}`)];
}
