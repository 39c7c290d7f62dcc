import { useEffect, useRef } from "react";
import { PALETTE } from "./LineChart";

export interface Axis {
  label: string;
  values: (number | string | undefined)[]; // one per line
}

/** Parallel coordinates on a canvas: one vertical axis per column, one polyline per run.
 *  Numeric axes are scaled linearly; text axes place their distinct values evenly. */
export function ParallelCoordinates({ axes, lines, height = 300 }: { axes: Axis[]; lines: string[]; height?: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const draw = () => {
      const width = el.parentElement?.clientWidth ?? 600;
      const ratio = window.devicePixelRatio || 1;
      el.width = width * ratio;
      el.height = height * ratio;
      el.style.width = `${width}px`;
      el.style.height = `${height}px`;
      const ctx = el.getContext("2d");
      if (!ctx || axes.length === 0) return;
      ctx.scale(ratio, ratio);
      ctx.clearRect(0, 0, width, height);
      const top = 28;
      const bottom = height - 20;
      const xAt = (i: number) => 40 + (i * (width - 80)) / Math.max(1, axes.length - 1);
      const scales = axes.map((axis) => {
        const nums = axis.values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
        if (nums.length === axis.values.filter((v) => v !== undefined).length && nums.length > 0) {
          const lo = Math.min(...nums);
          const hi = Math.max(...nums);
          return { at: (v: unknown) => (typeof v === "number" ? bottom - ((v - lo) / (hi - lo || 1)) * (bottom - top) : null), lo: String(+lo.toPrecision(4)), hi: String(+hi.toPrecision(4)) };
        }
        const cats = Array.from(new Set(axis.values.filter((v) => v !== undefined).map(String))).sort();
        return { at: (v: unknown) => (v === undefined ? null : bottom - ((cats.indexOf(String(v)) + 0.5) / cats.length) * (bottom - top)), lo: cats[0] ?? "", hi: cats[cats.length - 1] ?? "" };
      });
      ctx.font = "11px sans-serif";
      ctx.fillStyle = "#495057";
      ctx.strokeStyle = "#adb5bd";
      axes.forEach((axis, i) => {
        const x = xAt(i);
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, bottom);
        ctx.stroke();
        ctx.textAlign = "center";
        ctx.fillText(axis.label, x, 14);
        ctx.fillText(scales[i].hi, x, top - 3 + 0);
        ctx.fillText(scales[i].lo, x, bottom + 13);
      });
      lines.forEach((_, li) => {
        ctx.strokeStyle = PALETTE[li % PALETTE.length];
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        let pen = false;
        axes.forEach((axis, i) => {
          const y = scales[i].at(axis.values[li]);
          if (y === null) {
            pen = false;
            return;
          }
          if (pen) ctx.lineTo(xAt(i), y);
          else ctx.moveTo(xAt(i), y);
          pen = true;
        });
        ctx.stroke();
      });
    };
    draw();
    const observer = new ResizeObserver(draw);
    if (el.parentElement) observer.observe(el.parentElement);
    return () => observer.disconnect();
  }, [axes, lines, height]);
  return <div style={{ width: "100%" }}><canvas ref={canvas} data-testid="parallel-coordinates" data-lines={lines.length} /></div>;
}
