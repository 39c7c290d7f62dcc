import { Grid, Group, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api, type ArtifactPublic } from "../../../api";
import { Empty, ErrorState, Loading } from "../../../components/States";
import { ancestors, artifactTree, initiallyExpanded, latestCheckpoint, visibleRows } from "../../../lib/artifactTree";
import { formatBytes } from "../../../lib/format";
import { ArtifactPreview } from "./ArtifactPreview";
import { ArtifactTree } from "./ArtifactTree";

interface Props {
  runId: string;
  running: boolean;
  /** the selected file's path (kept in the URL by the run page), and how to change it */
  selected: string | null;
  onSelect: (path: string | null) => void;
}

function Summary({ entries }: { entries: ArtifactPublic[] }) {
  const size = entries.reduce((s, e) => s + e.size, 0);
  const pending = entries.filter((e) => e.state === "pending").length;
  return (
    <Group gap="md" mb="xs">
      <Text size="sm" data-testid="artifacts-summary">
        {entries.length} {entries.length === 1 ? "file" : "files"}, {formatBytes(size)}
      </Text>
      {pending > 0 && <Text size="sm" c="yellow.8">{pending} pending upload{pending === 1 ? "" : "s"}</Text>}
    </Group>
  );
}

function Browser({ runId, entries, selected, onSelect }: { runId: string; entries: ArtifactPublic[] } & Pick<Props, "selected" | "onSelect">) {
  const tree = useMemo(() => artifactTree(entries), [entries]);
  const latest = useMemo(() => latestCheckpoint(entries)?.path ?? null, [entries]);
  // folders the user opened or closed; until then, the initial choice (plus the selected file's folders)
  const [expanded, setExpanded] = useState<Set<string> | null>(null);
  const open = useMemo(() => {
    if (expanded) return expanded;
    const initial = initiallyExpanded(tree);
    if (selected) for (const folder of ancestors(selected)) initial.add(folder);
    return initial;
  }, [expanded, tree, selected]);
  const rows = useMemo(() => visibleRows(tree, open), [tree, open]);
  const toggle = (path: string) => {
    const next = new Set(open);
    if (next.has(path)) next.delete(path);
    else next.add(path);
    setExpanded(next);
  };
  const entry = selected ? entries.find((e) => e.path === selected) : undefined;
  return (
    <>
      <Summary entries={entries} />
      <Grid gap="md">
        <Grid.Col span={{ base: 12, md: 5 }}>
          <ArtifactTree runId={runId} rows={rows} expanded={open} selected={selected} latest={latest}
                        onToggle={toggle} onSelect={onSelect} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          {entry ? (
            <ArtifactPreview key={entry.path} runId={runId} entry={entry} />
          ) : selected ? (
            <Empty>This run has no artifact {selected}.</Empty>
          ) : (
            <Empty>Select a file to preview it.</Empty>
          )}
        </Grid.Col>
      </Grid>
    </>
  );
}

/** The run's artifacts: the manifest as a tree beside a preview of the selected file. */
export function ArtifactsTab({ runId, running, selected, onSelect }: Props) {
  const list = useQuery({
    queryKey: ["artifacts", runId],
    queryFn: () => api.listArtifacts(runId),
    // new files and finished uploads show up while the run is live or uploads are pending
    refetchInterval: (q) => (running ? 5000 : q.state.data?.some((e) => e.state === "pending") ? 15_000 : false),
  });
  if (list.isPending) return <Loading what="artifacts" />;
  if (list.isError) return <ErrorState error={list.error} />;
  if (!list.data.length) {
    return <Empty>No artifacts logged. Use <code>run.log_artifact(path)</code> or <code>labledger artifacts put</code>.</Empty>;
  }
  return <Browser runId={runId} entries={list.data} selected={selected} onSelect={onSelect} />;
}
