import { Alert, Button, Code, CopyButton, Group, Loader, Table, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import type { RunPublic } from "../../../api";
import { ErrorState } from "../../../components/States";
import { formatTime } from "../../../lib/format";
import { Section } from "./Facts";
import { provenanceApi } from "./environmentApi";

/** The server recomputes the seal (and re-hashes the blobs) each time the tab opens. */
function Verification({ runId, sealHash }: { runId: string; sealHash: string }) {
  const check = useQuery({
    queryKey: ["verify", runId, sealHash],
    queryFn: () => provenanceApi.verify(runId),
    staleTime: 0,
    gcTime: 0,
    retry: false,
  });
  const again = (
    <Button size="xs" variant="default" onClick={() => void check.refetch()} loading={check.isFetching}
            data-testid="verify-again">Verify again</Button>
  );
  if (check.isPending) {
    return (
      <Group gap="xs" data-testid="verify-pending">
        <Loader size="xs" />
        <Text size="sm" c="dimmed">Verifying: recomputing the record's hash and re-reading the artifacts' bytes…</Text>
      </Group>
    );
  }
  if (check.isError) return <><ErrorState error={check.error} />{again}</>;
  const v = check.data;
  const blobs = `${v.blobs_checked} artifact ${v.blobs_checked === 1 ? "blob" : "blobs"} re-hashed`;
  if (v.ok) {
    return (
      <Group gap="sm" data-testid="verify-result" data-ok="true">
        <Text c="teal.8" fw={600}>✓ verifies</Text>
        <Text size="sm" c="dimmed">the record hashes to its seal; {blobs}</Text>
        {again}
      </Group>
    );
  }
  return (
    <Alert color="red" title="✗ does not verify" data-testid="verify-result" data-ok="false">
      <Text size="sm">The run changed after it was sealed ({blobs}):</Text>
      <ul style={{ margin: "4px 0 8px" }} data-testid="verify-problems">
        {v.problems.map((p, i) => <li key={i}><Text size="sm" ff="monospace">{p}</Text></li>)}
      </ul>
      {again}
    </Alert>
  );
}

/** Notes and ``annotation.*`` tags are the only things that may change after sealing. */
function Annotations({ runId }: { runId: string }) {
  const list = useQuery({ queryKey: ["annotations", runId], queryFn: () => provenanceApi.annotations(runId) });
  if (list.isPending) return <Text size="sm" c="dimmed">Loading changes after sealing…</Text>;
  if (list.isError) return <ErrorState error={list.error} />;
  if (!list.data.length) return <Text size="sm" c="dimmed" data-testid="annotations">No annotations since the run was sealed.</Text>;
  return (
    <Table withTableBorder fz="sm" data-testid="annotations">
      <Table.Thead>
        <Table.Tr><Table.Th>changed after sealing</Table.Th><Table.Th>old value</Table.Th><Table.Th>new value</Table.Th><Table.Th>when</Table.Th></Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {list.data.map((a, i) => (
          <Table.Tr key={i} data-testid="annotation-row" data-field={a.field}>
            <Table.Td ff="monospace">{a.field}</Table.Td>
            <Table.Td style={{ whiteSpace: "pre-wrap" }}>{a.old_value ?? <Text span c="dimmed" inherit>(none)</Text>}</Table.Td>
            <Table.Td style={{ whiteSpace: "pre-wrap" }}>{a.new_value ?? <Text span c="dimmed" inherit>(removed)</Text>}</Table.Td>
            <Table.Td style={{ whiteSpace: "nowrap" }}>{formatTime(a.changed_ms)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** The run's seal: its hash, when, whether the stored record still hashes to it, and the
 *  annotations made since. */
export function SealSection({ run }: { run: RunPublic }) {
  if (!run.seal_hash) {
    return (
      <Section title="Seal" testId="env-seal">
        <Text size="sm" c="dimmed" data-testid="not-sealed">
          Not sealed{run.status === "running" ? " yet: the run is still running. " : ` (the run is ${run.status}). `}
          A run is sealed when it finishes; a failed or killed run is sealed by <Code>labledger runs seal {run.id.slice(0, 8)}…</Code>.
        </Text>
      </Section>
    );
  }
  return (
    <Section title="Seal" testId="env-seal">
      <Group gap="xs" wrap="nowrap">
        <Text size="sm" c="dimmed" style={{ flexShrink: 0 }}>SHA-256</Text>
        <Code data-testid="seal-hash" style={{ wordBreak: "break-all" }}>{run.seal_hash}</Code>
        <CopyButton value={run.seal_hash} timeout={1500}>
          {({ copied, copy }) => <Button size="compact-xs" variant="subtle" onClick={copy}>{copied ? "copied" : "copy"}</Button>}
        </CopyButton>
      </Group>
      <Text size="sm" data-testid="sealed-time">Sealed {formatTime(run.sealed_ms)}</Text>
      <Verification runId={run.id} sealHash={run.seal_hash} />
      <Annotations runId={run.id} />
    </Section>
  );
}
