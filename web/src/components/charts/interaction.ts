import type uPlot from "uplot";

/** Wheel zooms the x axis around the cursor; shift + drag pans it. */
export function panAndWheelZoom(): uPlot.Plugin {
  return {
    hooks: {
      ready: (u) => {
        const over = u.over;
        over.addEventListener("wheel", (e) => {
          e.preventDefault();
          const { min, max } = u.scales.x;
          if (min == null || max == null) return;
          const at = u.posToVal(e.offsetX, "x");
          const factor = e.deltaY < 0 ? 0.8 : 1.25;
          u.setScale("x", { min: at - (at - min) * factor, max: at + (max - at) * factor });
        }, { passive: false });
        over.addEventListener("mousedown", (e) => {
          if (!e.shiftKey) return;
          e.preventDefault();
          e.stopPropagation();
          const { min, max } = u.scales.x;
          if (min == null || max == null) return;
          const startX = e.clientX;
          const perPx = (max - min) / u.bbox.width * devicePixelRatio;
          const move = (m: MouseEvent) => {
            const shift = (m.clientX - startX) * perPx;
            u.setScale("x", { min: min - shift, max: max - shift });
          };
          const up = () => {
            window.removeEventListener("mousemove", move);
            window.removeEventListener("mouseup", up);
          };
          window.addEventListener("mousemove", move);
          window.addEventListener("mouseup", up);
        }, true);
      },
    },
  };
}
