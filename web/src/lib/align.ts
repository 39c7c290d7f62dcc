/** Joining several series on their x values, as uPlot's aligned data wants them. */
export interface Series {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/**
 * Returns [xs, ys1, ys2, ...]: the sorted union of every series' x values, and for each
 * series its y at those xs (null where it has no point).  Each series must be sorted by x.
 * NaN y values become null (a gap), infinities are kept.
 */
export function alignSeries(series: Series[]): [number[], ...(number | null)[][]] {
  const xs = new Set<number>();
  for (const s of series) for (let i = 0; i < s.x.length; i++) xs.add(s.x[i]);
  const union = Array.from(xs).sort((a, b) => a - b);
  const index = new Map<number, number>();
  union.forEach((x, i) => index.set(x, i));
  const columns = series.map((s) => {
    const col: (number | null)[] = new Array(union.length).fill(null);
    for (let i = 0; i < s.x.length; i++) {
      const y = s.y[i];
      col[index.get(s.x[i]) as number] = Number.isNaN(y) ? null : y;
    }
    return col;
  });
  return [union, ...columns];
}

/** Converts x values for the chosen axis: step, wall time (seconds) or relative seconds. */
export type XAxis = "step" | "time" | "relative";

export function xValues(
  axis: XAxis,
  steps: ArrayLike<number>,
  timestamps: ArrayLike<number>,
  startMs: number,
): Float64Array {
  const out = new Float64Array(steps.length);
  for (let i = 0; i < steps.length; i++) {
    if (axis === "step") out[i] = steps[i];
    else if (axis === "time") out[i] = timestamps[i] / 1000;
    else out[i] = (timestamps[i] - startMs) / 1000;
  }
  return out;
}
