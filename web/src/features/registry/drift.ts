/** Drift points (one per feature per production batch, oldest first) as chart columns. */
import type { DriftPointPublic } from "../../client/types.gen";

export interface PsiSeries {
  /** Batch times in seconds since the epoch (the chart's time axis), ascending. */
  times: number[];
  /** Feature names, one series each, by name. */
  features: string[];
  /** psi[f][t]: feature f's PSI at times[t]; null where the batch had no such feature. */
  psi: (number | null)[][];
  /** Batches that raised an alert on at least one feature (seconds). */
  alerts: number[];
}

export function psiSeries(points: ReadonlyArray<DriftPointPublic>): PsiSeries {
  const times = [...new Set(points.map((p) => p.time_ms))].sort((a, b) => a - b);
  const features = [...new Set(points.map((p) => p.feature))].sort();
  const at = new Map(times.map((t, i) => [t, i]));
  const column = new Map(features.map((f, i) => [f, i]));
  const psi = features.map(() => times.map((): number | null => null));
  const alerts = new Set<number>();
  for (const p of points) {
    psi[column.get(p.feature)!][at.get(p.time_ms)!] = Number.isFinite(p.psi) ? p.psi : null;
    if (p.alert) alerts.add(p.time_ms);
  }
  return { times: times.map((t) => t / 1000), features, psi, alerts: [...alerts].sort((a, b) => a - b).map((t) => t / 1000) };
}

/** An alert's drifting features, worst first: "plan (psi 17.7)", "x (psi 1.35, ks 0.46)". */
export function alertFeatures(features: Record<string, Record<string, unknown>>): { name: string; text: string }[] {
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return Object.entries(features)
    .filter(([, f]) => f["alert"] === true)
    .sort(([, a], [, b]) => (num(b["psi"]) ?? 0) - (num(a["psi"]) ?? 0))
    .map(([name, f]) => {
      const psi = num(f["psi"]);
      const ks = num(f["ks"]);
      const parts = [psi !== null ? `psi ${Number(psi.toPrecision(3))}` : null, ks !== null ? `ks ${Number(ks.toPrecision(2))}` : null];
      return { name, text: `${name} (${parts.filter(Boolean).join(", ")})` };
    });
}
