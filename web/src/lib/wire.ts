/** Numbers on the wire: non-finite floats travel as "NaN", "Infinity", "-Infinity". */
export type WireFloat = number | "NaN" | "Infinity" | "-Infinity";

export function fromWire(value: WireFloat | string | null | undefined): number {
  if (typeof value === "number") return value;
  if (value === "NaN" || value == null) return Number.NaN;
  if (value === "Infinity") return Number.POSITIVE_INFINITY;
  if (value === "-Infinity") return Number.NEGATIVE_INFINITY;
  return Number(value);
}

export function valuesFromWire(values: WireFloat[]): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = fromWire(values[i]);
  return out;
}
