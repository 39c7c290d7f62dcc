import { Checkbox } from "@mantine/core";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef } from "react";
import { Link } from "react-router-dom";
import type { RunPublic } from "../../api";
import { StatusBadge } from "../../components/StatusBadge";
import { sortDirection } from "../../lib/urlState";
import type { Column } from "./columns";

const ROW_HEIGHT = 34;

interface Props {
  runs: RunPublic[];
  columns: Column[];
  orderBy: string[];
  selected: Set<string>;
  active: number;
  hasMore: boolean;
  onSort: (column: string) => void;
  onToggle: (runId: string) => void;
  onNeedMore: () => void;
  onActivate: (index: number) => void;
}

/** Virtualized runs table: only the visible rows exist in the DOM, whatever the number of
 *  runs; pages are fetched as the end comes into view. */
export function RunTable({ runs, columns, orderBy, selected, active, hasMore, onSort, onToggle, onNeedMore, onActivate }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: runs.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const last = items.length ? items[items.length - 1].index : -1;
  useEffect(() => {
    if (hasMore && last >= runs.length - 40) onNeedMore();
  }, [last, runs.length, hasMore, onNeedMore]);
  useEffect(() => {
    if (active >= 0) virtualizer.scrollToIndex(active, { align: "auto" });
  }, [active, virtualizer]);

  const template = `36px ${columns.map((c) => `${c.width}px`).join(" ")}`;
  const width = 36 + columns.reduce((s, c) => s + c.width, 0);
  return (
    <div ref={scroller} className="ll-table" data-testid="runs-table" style={{ height: "calc(100vh - 230px)", overflow: "auto" }}>
      <div style={{ width, minWidth: "100%" }}>
        <div className="ll-thead" style={{ gridTemplateColumns: template }}>
          <div />
          {columns.map((c) => {
            const dir = sortDirection(orderBy, c.id);
            return (
              <button key={c.id} type="button" className="ll-th" data-column={c.id} data-sort={dir ?? ""}
                      title={`sort by ${c.id}`} onClick={() => onSort(c.id)}
                      style={{ textAlign: c.numeric ? "right" : "left" }}>
                {c.label}{dir === "desc" ? " ▼" : dir === "asc" ? " ▲" : ""}
              </button>
            );
          })}
        </div>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {items.map((item) => {
            const run = runs[item.index];
            return (
              <div key={run.id} data-testid="run-row" data-run-id={run.id} data-index={item.index}
                   className={`ll-tr${item.index === active ? " ll-active" : ""}${selected.has(run.id) ? " ll-selected" : ""}`}
                   onClick={() => onActivate(item.index)}
                   style={{ gridTemplateColumns: template, transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}>
                <div className="ll-td">
                  <Checkbox size="xs" aria-label={`select ${run.name}`} checked={selected.has(run.id)}
                            onChange={() => onToggle(run.id)} onClick={(e) => e.stopPropagation()} />
                </div>
                {columns.map((c) => (
                  <div key={c.id} className="ll-td" style={{ textAlign: c.numeric ? "right" : "left" }}>
                    {c.id === "name" ? (
                      <Link to={`/runs/${run.id}`} title={run.name}>{run.name}</Link>
                    ) : c.id === "status" ? (
                      <StatusBadge status={run.status} />
                    ) : (
                      c.render(run)
                    )}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
