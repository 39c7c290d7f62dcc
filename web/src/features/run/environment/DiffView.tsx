import { Alert, Anchor, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useMemo } from "react";
import { api, type ArtifactPublic } from "../../../api";
import { ErrorState, Loading } from "../../../components/States";
import { artifactFileUrl } from "../../../lib/artifactPreview";
import { formatBytes } from "../../../lib/format";
import { diffStats, parseDiff } from "./diffLines";
import { DiffRows } from "./DiffRows";

// highlight.js loads with the first diff shown, as a chunk of its own; until then the
// lines are drawn plain
const HighlightedDiff = lazy(() => import("./HighlightedDiff"));

export const DIFF_PATH = "provenance/git.diff";
/** The capture cuts the diff at 1 MB; read a little more in case another client did not. */
const DIFF_MAX_BYTES = 2 * 1024 * 1024;

function Lines({ text, size }: { text: string; size: number }) {
  const lines = useMemo(() => parseDiff(text), [text]);
  const stats = useMemo(() => diffStats(lines), [lines]);
  return (
    <>
      <Text size="sm" data-testid="diff-stats">
        {stats.files} {stats.files === 1 ? "file" : "files"} changed,{" "}
        <Text span c="green.8">+{stats.added}</Text> <Text span c="red.8">−{stats.removed}</Text>
        <Text span c="dimmed">{` · ${lines.length} lines, ${formatBytes(size)}`}</Text>
      </Text>
      <Suspense fallback={<DiffRows lines={lines} />}>
        <HighlightedDiff lines={lines} />
      </Suspense>
    </>
  );
}

function StoredDiff({ runId, entry }: { runId: string; entry: ArtifactPublic }) {
  const text = useQuery({
    // content-addressed: the same digest always has the same bytes
    queryKey: ["git-diff", runId, entry.digest],
    queryFn: () => api.artifactHead(artifactFileUrl(runId, entry.path), DIFF_MAX_BYTES),
    select: (bytes) => new TextDecoder("utf-8").decode(bytes),
    staleTime: Infinity,
  });
  if (text.isPending) return <Loading what="the diff" />;
  if (text.isError) return <ErrorState error={text.error} />;
  return (
    <>
      {entry.size > DIFF_MAX_BYTES && (
        <Text size="xs" c="dimmed" data-testid="diff-cut">
          Showing the first {formatBytes(DIFF_MAX_BYTES)} of {formatBytes(entry.size)}; download the file for all of it.
        </Text>
      )}
      <Lines text={text.data} size={entry.size} />
    </>
  );
}

/** The uncommitted changes stored with the run (``provenance/git.diff``), if any. */
export function DiffView({ runId, dirty, truncated, diffBytes }: { runId: string; dirty: boolean | null; truncated: boolean; diffBytes: number | null }) {
  const listing = useQuery({
    queryKey: ["artifacts", runId, DIFF_PATH],
    queryFn: () => api.listArtifacts(runId, DIFF_PATH),
    refetchInterval: (q) => (q.state.data?.some((e) => e.state === "pending") ? 15_000 : false),
  });
  if (dirty === false) return <Text size="sm" c="dimmed" data-testid="diff-none">No uncommitted changes.</Text>;
  if (listing.isPending) return <Loading what="the diff" />;
  if (listing.isError) return <ErrorState error={listing.error} />;
  const entry = listing.data.find((e) => e.path === DIFF_PATH);
  if (!entry) {
    if (dirty === null) return null; // the document does not say, and no diff was stored
    return (
      <Text size="sm" c="dimmed" data-testid="diff-none">
        {diffBytes === 0 ? "Only untracked files changed: they are listed above, not diffed." : "No diff was stored with this run."}
      </Text>
    );
  }
  if (entry.state === "pending") {
    return <Alert color="yellow" title="Upload pending" data-testid="diff-pending">The diff is declared but its upload has not completed yet.</Alert>;
  }
  return (
    <>
      {truncated && (
        <Text size="xs" c="orange.8" data-testid="diff-truncated">
          The diff was longer than 1 MB when captured: it was cut at a line boundary, and the rest was not stored.
        </Text>
      )}
      <StoredDiff runId={runId} entry={entry} />
      <Anchor size="xs" href={artifactFileUrl(runId, DIFF_PATH, { download: true })} data-testid="diff-download">
        Download git.diff
      </Anchor>
    </>
  );
}
