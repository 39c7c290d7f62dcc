/**
 * Exponential moving average with bias correction (the curve starts at the first value
 * instead of at zero).  `weight` in [0, 1): 0 leaves the series unchanged.  Non-finite
 * points are passed through and do not disturb the average.
 */
export function smooth(values: ArrayLike<number>, weight: number): Float64Array {
  const out = new Float64Array(values.length);
  if (!(weight > 0)) {
    for (let i = 0; i < values.length; i++) out[i] = values[i];
    return out;
  }
  const w = Math.min(weight, 0.999);
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * w + (1 - w) * v;
    n += 1;
    out[i] = last / (1 - Math.pow(w, n));
  }
  return out;
}
