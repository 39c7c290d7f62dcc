/** A tiny bar sparkline (runs per day); SVG is fine for 30 values. */
export function Sparkline({ values, width = 120, height = 24 }: { values: number[]; width?: number; height?: number }) {
  const max = Math.max(1, ...values);
  const bar = width / Math.max(1, values.length);
  return (
    <svg width={width} height={height} role="img" aria-label={`runs per day, max ${max}`}>
      {values.map((v, i) => {
        const h = v === 0 ? 1 : Math.max(2, (v / max) * (height - 2));
        return (
          <rect key={i} x={i * bar} y={height - h} width={Math.max(1, bar - 1)} height={h}
                fill={v === 0 ? "#dee2e6" : "#228be6"} />
        );
      })}
    </svg>
  );
}
