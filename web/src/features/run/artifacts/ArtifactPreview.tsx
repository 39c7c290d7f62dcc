import { Alert, Badge, Button, Code, Group, Paper, Stack, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { api, type ArtifactPublic } from "../../../api";
import { ErrorState, Loading } from "../../../components/States";
import {
  artifactFileUrl, baseMediaType, decodeText, parseTable, prettyJson, previewKind, PREVIEW_BYTES, type PreviewKind,
} from "../../../lib/artifactPreview";
import { formatBytes, formatTime } from "../../../lib/format";
import { Digest } from "./Digest";
import { ImageView, JsonView, TableView, TextView } from "./FilePreviews";

function usePreviewText(runId: string, entry: ArtifactPublic, enabled: boolean) {
  return useQuery({
    // content-addressed: the same digest always has the same bytes
    queryKey: ["artifact-head", runId, entry.path, entry.digest],
    queryFn: () => api.artifactHead(artifactFileUrl(runId, entry.path), PREVIEW_BYTES),
    select: (bytes) => decodeText(bytes, entry.size),
    enabled,
    staleTime: Infinity,
  });
}

function DownloadButton({ runId, entry, testId }: { runId: string; entry: ArtifactPublic; testId: string }) {
  if (entry.state !== "stored") {
    return <Button size="xs" variant="light" disabled data-testid={testId} style={{ flexShrink: 0 }}>Download</Button>;
  }
  return (
    <Button component="a" size="xs" variant="light" href={artifactFileUrl(runId, entry.path, { download: true })}
            data-testid={testId} style={{ flexShrink: 0 }}>
      Download
    </Button>
  );
}

function NoPreview({ runId, entry, reason }: { runId: string; entry: ArtifactPublic; reason: string }) {
  return (
    <Stack align="flex-start" gap="xs" data-testid="preview-other">
      <Text size="sm" c="dimmed">{reason} Media type: <Code>{entry.media_type}</Code>.</Text>
      <DownloadButton runId={runId} entry={entry} testId="preview-download" />
    </Stack>
  );
}

function PreviewBody({ runId, entry, kind }: { runId: string; entry: ArtifactPublic; kind: PreviewKind }) {
  const textual = kind === "text" || kind === "json" || kind === "csv" || kind === "tsv";
  const head = usePreviewText(runId, entry, textual && entry.state === "stored" && entry.size > 0);
  if (entry.state === "pending") {
    return (
      <Alert color="yellow" title="Upload pending" data-testid="preview-pending">
        This entry is declared but its content is not stored yet: the uploading process has not finished
        (or is waiting for <Code>labledger sync</Code>). It can be previewed and downloaded once it arrives.
      </Alert>
    );
  }
  const name = entry.path.slice(entry.path.lastIndexOf("/") + 1);
  if (kind === "image") return <ImageView url={artifactFileUrl(runId, entry.path)} name={name} />;
  if (kind === "other") return <NoPreview runId={runId} entry={entry} reason="No preview for this type of file." />;
  if (entry.size === 0) return <Text size="sm" c="dimmed" data-testid="preview-empty">The file is empty.</Text>;
  if (head.isPending) return <Loading what="the preview" />;
  if (head.isError) return <ErrorState error={head.error} />;
  const preview = head.data;
  if (preview.binary) return <NoPreview runId={runId} entry={entry} reason="This file does not look like text." />;
  if (kind === "json") return <JsonView pretty={prettyJson(preview)} preview={preview} size={entry.size} />;
  if (kind === "csv" || kind === "tsv") {
    return <TableView table={parseTable(preview, kind)} size={entry.size} truncated={preview.truncated} />;
  }
  return <TextView preview={preview} size={entry.size} />;
}

/** The selected file: what it is, a download button, and a preview fitted to its type. */
export function ArtifactPreview({ runId, entry }: { runId: string; entry: ArtifactPublic }) {
  const kind = previewKind(entry.path, entry.media_type);
  return (
    <Paper withBorder p="md" data-testid="artifact-preview" data-path={entry.path} data-kind={kind}>
      <Stack gap="sm">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Stack gap={4} style={{ minWidth: 0 }}>
            <Text fw={600} ff="monospace" size="sm" style={{ wordBreak: "break-all" }}>{entry.path}</Text>
            <Group gap="xs">
              <Text size="xs" c="dimmed">{formatBytes(entry.size)}</Text>
              <Text size="xs" c="dimmed">{baseMediaType(entry.media_type)}</Text>
              {entry.step != null && <Badge size="xs" variant="outline">step {entry.step}</Badge>}
              {entry.state === "pending" && <Badge size="xs" color="yellow">pending</Badge>}
              <Text size="xs" c="dimmed">logged {formatTime(entry.created_ms)}</Text>
              <Digest digest={entry.digest} copy />
            </Group>
          </Stack>
          <DownloadButton runId={runId} entry={entry} testId="artifact-download" />
        </Group>
        <PreviewBody runId={runId} entry={entry} kind={kind} />
      </Stack>
    </Paper>
  );
}
