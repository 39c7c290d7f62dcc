import { Alert, Box, Code, Image, ScrollArea, Table, Text } from "@mantine/core";
import { useState } from "react";
import { PREVIEW_BYTES, type TablePreview, type TextPreview } from "../../../lib/artifactPreview";
import { formatBytes } from "../../../lib/format";

const PANE_HEIGHT = "calc(100vh - 380px)";

export function TruncatedNote({ size, what = `the first ${formatBytes(PREVIEW_BYTES)}` }: { size: number; what?: string }) {
  return (
    <Text size="xs" c="dimmed" data-testid="preview-truncated">
      Showing {what} of {formatBytes(size)}; download the file for all of it.
    </Text>
  );
}

export function TextView({ preview, size, testId = "preview-text" }: { preview: TextPreview; size: number; testId?: string }) {
  return (
    <>
      {preview.truncated && <TruncatedNote size={size} />}
      <ScrollArea.Autosize mah={PANE_HEIGHT} type="auto">
        <Code block data-testid={testId} style={{ whiteSpace: "pre", fontSize: 12 }}>{preview.text}</Code>
      </ScrollArea.Autosize>
    </>
  );
}

export function JsonView({ pretty, preview, size }: { pretty: string | null; preview: TextPreview; size: number }) {
  if (pretty === null) {
    return (
      <>
        <Text size="xs" c="dimmed" data-testid="preview-json-raw">
          {preview.truncated ? "Too large to pretty-print here; shown as text." : "Not valid JSON; shown as text."}
        </Text>
        <TextView preview={preview} size={size} />
      </>
    );
  }
  return (
    <ScrollArea.Autosize mah={PANE_HEIGHT} type="auto">
      <Code block data-testid="preview-json" style={{ whiteSpace: "pre", fontSize: 12 }}>{pretty}</Code>
    </ScrollArea.Autosize>
  );
}

export function TableView({ table, size, truncated }: { table: TablePreview; size: number; truncated: boolean }) {
  return (
    <>
      {table.more && (
        <TruncatedNote size={size} what={`the first ${table.rows.length} rows${truncated ? ` (of the first ${formatBytes(PREVIEW_BYTES)})` : ""}`} />
      )}
      {table.errors.length > 0 && (
        <Text size="xs" c="orange" data-testid="preview-table-errors">{table.errors.join("; ")}</Text>
      )}
      <ScrollArea.Autosize mah={PANE_HEIGHT} type="auto">
        <Table striped withTableBorder withColumnBorders stickyHeader fz="xs" data-testid="preview-table">
          <Table.Thead>
            <Table.Tr>{table.header.map((h, i) => <Table.Th key={i}>{h}</Table.Th>)}</Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {table.rows.map((row, r) => (
              <Table.Tr key={r}>{row.map((cell, c) => <Table.Td key={c}>{cell}</Table.Td>)}</Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea.Autosize>
    </>
  );
}

export function ImageView({ url, name }: { url: string; name: string }) {
  const [failed, setFailed] = useState(false);
  if (failed) {
    return <Alert color="red" title="Cannot show the image" data-testid="error">The browser could not decode {name}.</Alert>;
  }
  return (
    <Box style={{ maxHeight: PANE_HEIGHT, overflow: "auto" }}>
      <Image src={url} alt={name} fit="contain" w="auto" maw="100%" data-testid="preview-image"
             style={{ imageRendering: "auto", background: "repeating-conic-gradient(#eee 0 25%, #fff 0 50%) 0 0 / 16px 16px" }}
             onError={() => setFailed(true)} />
    </Box>
  );
}
