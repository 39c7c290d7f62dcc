/** The diff rows with syntax highlighting: a lazily loaded chunk with highlight.js in it. */
import type { DiffLine } from "./diffLines";
import { DiffRows } from "./DiffRows";
import { highlightCode } from "./highlight";

export default function HighlightedDiff({ lines }: { lines: DiffLine[] }) {
  return <DiffRows lines={lines} highlight={highlightCode} />;
}
