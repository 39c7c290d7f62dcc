import { Badge, Code, Paper, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { useQueries } from "@tanstack/react-query";
import { ErrorState } from "../../components/States";
import { formatTime } from "../../lib/format";
import { policyYaml } from "./policyText";
import { keys, registryApi, type PolicyPublic } from "./registryApi";

/** The stored policies, written as YAML: one per alias, and the model's own (drift thresholds). */
export function PoliciesPanel({ policies }: { policies: PolicyPublic[] }) {
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="policies-heading" data-testid="policies-panel">
      <Title order={3} id="policies-heading" mb="sm">Policies</Title>
      {policies.length === 0 ? (
        <Text size="sm" c="dimmed">No policy: every alias takes any version, drift uses the default thresholds.</Text>
      ) : (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          {policies.map((p) => (
            <Stack key={p.alias ?? ""} gap={4} data-testid="policy" data-alias={p.alias ?? ""}>
              <Title order={4}>{p.alias ?? "model (drift thresholds)"}</Title>
              <Code block data-testid="policy-yaml">{policyYaml(p.policy)}</Code>
              <Text size="xs" c="dimmed">
                {p.updated_ms ? `set ${formatTime(p.updated_ms)}` : ""}{p.updated_by ? ` by ${p.updated_by}` : ""} · digest {p.digest.slice(0, 12)}
              </Text>
            </Stack>
          ))}
        </SimpleGrid>
      )}
    </Paper>
  );
}

/** Approvals given, per alias; those given under an earlier policy no longer count. */
export function ApprovalsPanel({ model, aliases }: { model: string; aliases: string[] }) {
  const answers = useQueries({
    queries: aliases.map((a) => ({ queryKey: keys.approvals(model, a), queryFn: () => registryApi.approvals(model, a) })),
  });
  const failed = answers.find((a) => a.isError);
  const rows = answers.flatMap((a, i) => (a.data ?? []).map((x) => ({ ...x, alias: x.alias ?? aliases[i] })));
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="approvals-heading" data-testid="approvals-panel">
      <Title order={3} id="approvals-heading" mb="sm">Approvals</Title>
      {failed && <ErrorState error={failed.error} />}
      {rows.length === 0 ? (
        <Text size="sm" c="dimmed">
          {answers.some((a) => a.isPending) ? "Loading approvals…" : "No approvals given. Maintainers approve a version from its Promote… dialog."}
        </Text>
      ) : (
        <Table data-testid="approvals-table">
          <Table.Thead>
            <Table.Tr><Table.Th>Alias</Table.Th><Table.Th>Version</Table.Th><Table.Th>Approver</Table.Th><Table.Th>When</Table.Th><Table.Th>Counts</Table.Th></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r, i) => (
              <Table.Tr key={`${r.alias}-${r.version}-${r.approver}-${i}`} data-testid="approval-row">
                <Table.Td>{r.alias}</Table.Td>
                <Table.Td>{r.version == null ? "" : `v${r.version}`}</Table.Td>
                <Table.Td>{r.approver}</Table.Td>
                <Table.Td>{formatTime(r.time_ms)}</Table.Td>
                <Table.Td>{r.valid ? <Badge size="sm" color="green" variant="light">yes</Badge> : <Badge size="sm" color="gray" variant="light">earlier policy</Badge>}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Paper>
  );
}
