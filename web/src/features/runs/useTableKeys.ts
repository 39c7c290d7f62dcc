import { useEffect, useRef } from "react";

interface Handlers {
  focusFilter: () => void;
  move: (delta: number) => void;
  open: () => void;
  toggle: () => void;
}

/** Keyboard: "/" focuses the filter, j/k move in the table, Enter opens, x selects. */
export function useTableKeys(handlers: Handlers) {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) return;
      if (e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key === "/") {
        e.preventDefault();
        ref.current.focusFilter();
      } else if (e.key === "j") ref.current.move(1);
      else if (e.key === "k") ref.current.move(-1);
      else if (e.key === "Enter") ref.current.open();
      else if (e.key === "x") ref.current.toggle();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}
