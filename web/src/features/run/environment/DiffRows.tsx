import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useMemo, useRef } from "react";
import type { DiffLine } from "./diffLines";

export type Highlighter = (code: string, language: string) => string;

const ROW_HEIGHT = 18; // px; environment.css sets the same line height
const GUTTER_CH = 14; // two line-number columns and the mark, in characters
const MARK: Partial<Record<DiffLine["kind"], string>> = { add: "+", del: "-", context: " " };

// highlighted HTML per line object, so scrolling back does not highlight a line again
const highlighted = new WeakMap<DiffLine, string>();

function html(line: DiffLine, highlight: Highlighter | undefined): string | null {
  if (!highlight || !line.language || !line.text) return null;
  let out = highlighted.get(line);
  if (out === undefined) {
    out = highlight(line.text, line.language);
    highlighted.set(line, out);
  }
  return out;
}

const Row = memo(function Row({ line, highlight, top }: { line: DiffLine; highlight?: Highlighter; top: number }) {
  const code = html(line, highlight);
  return (
    <div className={`ll-diff-line ll-diff-${line.kind}`} data-testid="diff-line" data-kind={line.kind}
         style={{ transform: `translateY(${top}px)` }}>
      <span className="ll-diff-no">{line.oldNo ?? ""}</span>
      <span className="ll-diff-no">{line.newNo ?? ""}</span>
      <span className="ll-diff-mark">{MARK[line.kind] ?? ""}</span>
      {code !== null ? (
        // highlight.js escapes the text; its output is only spans with hljs-* classes
        <span className="ll-diff-text" dangerouslySetInnerHTML={{ __html: code }} />
      ) : (
        <span className="ll-diff-text">{line.text}</span>
      )}
    </div>
  );
});

/** The diff's lines as rows: old and new line numbers, the +/- mark, and the text —
 *  syntax-highlighted when a highlighter is given and the file's language is known.
 *  Rows are virtualized: a 1 MB diff (~25,000 lines) draws, and highlights, only the
 *  lines in view. */
export function DiffRows({ lines, highlight }: { lines: DiffLine[]; highlight?: Highlighter }) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: lines.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 40,
  });
  // every row as wide as the longest line, so backgrounds run the whole width when scrolled
  const widest = useMemo(() => lines.reduce((w, l) => Math.max(w, l.text.length), 0), [lines]);
  return (
    <div ref={scroller} className="ll-diff-scroll" data-testid="diff" data-highlighted={highlight ? "true" : "false"}>
      <div className="ll-diff" style={{ height: virtual.getTotalSize(), width: `calc(${widest + GUTTER_CH}ch + 24px)` }}>
        {virtual.getVirtualItems().map((item) => (
          <Row key={item.index} line={lines[item.index]} highlight={highlight} top={item.start} />
        ))}
      </div>
    </div>
  );
}
