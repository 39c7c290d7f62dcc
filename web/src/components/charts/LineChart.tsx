import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { panAndWheelZoom } from "./interaction";

export const PALETTE = ["#1c7ed6", "#e8590c", "#2f9e44", "#ae3ec9", "#f08c00", "#0c8599", "#e03131",
  "#5f3dc4", "#66a80f", "#c2255c"];

export interface LineChartProps {
  data: uPlot.AlignedData;
  labels: string[];
  logY?: boolean;
  timeX?: boolean;
  xLabel?: string;
  height?: number;
  points?: boolean; // scatter: points without lines
  onZoom?: (min: number | null, max: number | null) => void;
  testId?: string;
}

/** The one uPlot wrapper: canvas lines for 10^5–10^6 points, hover legend, drag to zoom,
 *  wheel to zoom, shift-drag to pan, double-click to reset. */
export function LineChart({ data, labels, logY, timeX, xLabel, height = 260, points, onZoom, testId }: LineChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;
  const shape = `${labels.join("\u0000")}|${logY}|${timeX}|${points}|${xLabel}`;

  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time: !!timeX }, y: { distr: logY ? 3 : 1 } },
      axes: [{ label: xLabel }, {}],
      cursor: { drag: { x: true, y: false } },
      legend: { live: true },
      series: [
        { label: xLabel ?? "x" },
        ...labels.map((label, i) => ({
          label,
          stroke: PALETTE[i % PALETTE.length],
          width: 1.5,
          spanGaps: true,
          points: points ? { show: true, size: 6, fill: PALETTE[i % PALETTE.length] } : { show: false },
          paths: points ? () => null : undefined,
        })),
      ],
      plugins: [panAndWheelZoom()],
      hooks: {
        setScale: [
          (u, key) => {
            if (key !== "x" || !zoomRef.current) return;
            const xs = u.data[0];
            const full = xs.length > 0 && u.scales.x.min! <= xs[0] && u.scales.x.max! >= xs[xs.length - 1];
            zoomRef.current(full ? null : u.scales.x.min ?? null, full ? null : u.scales.x.max ?? null);
          },
        ],
      },
    };
    const u = new uPlot(opts, data, el);
    chart.current = u;
    const observer = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      u.destroy();
      chart.current = null;
    };
    // the chart is rebuilt only when its shape changes; data updates go through setData
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, height]);

  useEffect(() => {
    chart.current?.setData(data, false);
    chart.current?.redraw(false, true);
  }, [data]);

  return <div ref={holder} data-testid={testId} data-series={labels.length} className="ll-chart" />;
}
