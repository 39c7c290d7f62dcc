import { Code, ScrollArea, Table, Text, Tooltip } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { ErrorState, Loading } from "../../../components/States";
import { formatBytes } from "../../../lib/format";
import { Section } from "./Facts";
import { provenanceApi, type DatasetPublic } from "./environmentApi";

function Schema({ schema }: { schema: DatasetPublic["schema"] }) {
  if (!schema?.length) return <>—</>;
  const columns = schema.map((c) => (c.length > 1 ? `${c[0]}: ${c[1]}` : c[0]));
  const shown = columns.slice(0, 4).join(", ") + (columns.length > 4 ? ", …" : "");
  return (
    <Tooltip label={columns.join("\n")} multiline maw={420} style={{ whiteSpace: "pre-line" }} withinPortal openDelay={200}>
      <Text size="xs" ff="monospace">{columns.length} columns: {shown}</Text>
    </Tooltip>
  );
}

/** The data the run read (``run.log_dataset``), with digests to tell versions apart. */
export function DatasetsSection({ runId, running }: { runId: string; running: boolean }) {
  const datasets = useQuery({
    queryKey: ["datasets", runId],
    queryFn: () => provenanceApi.datasets(runId),
    refetchInterval: running ? 5000 : false,
  });
  let body;
  if (datasets.isPending) body = <Loading what="datasets" />;
  else if (datasets.isError) body = <ErrorState error={datasets.error} />;
  else if (!datasets.data.length) {
    body = <Text size="sm" c="dimmed">No datasets logged. Use <code>run.log_dataset(path, name=…, role=…)</code>.</Text>;
  } else {
    body = (
      <ScrollArea type="auto">
        <Table withTableBorder striped fz="sm" data-testid="datasets-table">
          <Table.Thead>
            <Table.Tr>
              {["name", "role", "URI", "digest", "size", "files", "rows", "format", "schema"].map((h) => <Table.Th key={h}>{h}</Table.Th>)}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {datasets.data.map((d) => (
              <Table.Tr key={`${d.name}:${d.digest}`} data-testid="dataset-row" data-name={d.name}>
                <Table.Td fw={600}>{d.name}</Table.Td>
                <Table.Td>{d.role}</Table.Td>
                <Table.Td ff="monospace" fz="xs" style={{ wordBreak: "break-all" }}>{d.uri}</Table.Td>
                <Table.Td><Code title={`sha256:${d.digest}`} data-testid="dataset-digest">{d.digest.slice(0, 12)}</Code></Table.Td>
                <Table.Td style={{ whiteSpace: "nowrap" }}>{formatBytes(d.size)}</Table.Td>
                <Table.Td>{d.files}</Table.Td>
                <Table.Td>{d.rows ?? "—"}</Table.Td>
                <Table.Td>{d.format ?? "—"}</Table.Td>
                <Table.Td><Schema schema={d.schema} /></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea>
    );
  }
  return <Section title="Datasets" testId="env-datasets">{body}</Section>;
}
