import { Alert, Badge, Button, Group, NativeSelect, Paper, Stack, Table, Text, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { describeError } from "../../components/States";
import { formatTime } from "../../lib/format";
import { aliasStates, eventMove } from "./aliases";
import { failedGates, gateLine } from "./refusal";
import { keys, registryApi, type AliasEventPublic, type ModelPublic, type PolicyPublic } from "./registryApi";

const KIND_COLORS: Record<AliasEventPublic["kind"], string> = { promote: "green", refuse: "red", rollback: "orange", unset: "gray" };

/** Each alias: the version it points at, since when and by whom; maintainers roll it back. */
function Holders({ model, policies, events, canMaintain }: {
  model: ModelPublic; policies: PolicyPublic[]; events: AliasEventPublic[]; canMaintain: boolean;
}) {
  const client = useQueryClient();
  const rollback = useMutation({
    mutationFn: (alias: string) => registryApi.rollback(model.name, alias),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.all(model.name) });
      void client.invalidateQueries({ queryKey: keys.models });
    },
  });
  const states = aliasStates(model.aliases, policies, events);
  if (states.length === 0) return <Text size="sm" c="dimmed">No aliases yet. Promote a version to give it one.</Text>;
  return (
    <Stack gap="xs">
      {rollback.isError && (
        <Alert color="red" title={`${rollback.variables} not rolled back`} data-testid="rollback-error">
          {describeError(rollback.error).message}
        </Alert>
      )}
      <Table data-testid="aliases-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Alias</Table.Th><Table.Th>Points at</Table.Th><Table.Th>Since</Table.Th><Table.Th>Moved by</Table.Th>
            <Table.Th>Policy</Table.Th>{canMaintain && <Table.Th>Actions</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {states.map((s) => (
            <Table.Tr key={s.alias} data-testid="alias-row" data-alias={s.alias}>
              <Table.Td fw={600}>{s.alias}</Table.Td>
              <Table.Td data-testid="alias-holder">{s.version == null ? <Text span c="dimmed" size="sm">nothing</Text> : `v${s.version}`}</Table.Td>
              <Table.Td>{formatTime(s.sinceMs)}</Table.Td>
              <Table.Td>{s.movedBy ?? ""}</Table.Td>
              <Table.Td>{s.hasPolicy ? "yes" : "none"}</Table.Td>
              {canMaintain && (
                <Table.Td>
                  {s.version != null && (
                    <Button size="compact-xs" variant="default" loading={rollback.isPending && rollback.variables === s.alias}
                            onClick={() => rollback.mutate(s.alias)} aria-label={`Roll back ${s.alias}`}>Roll back</Button>
                  )}
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

/** Every decision on the model's aliases, newest first; refusals name their failed gates. */
function History({ events }: { events: AliasEventPublic[] }) {
  const [alias, setAlias] = useState("");
  const names = [...new Set(events.map((e) => e.alias))].sort();
  const shown = alias ? events.filter((e) => e.alias === alias) : events;
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Title order={4} id="alias-history">History</Title>
        {names.length > 1 && (
          <NativeSelect size="xs" aria-label="Show the history of" value={alias} onChange={(e) => setAlias(e.currentTarget.value)}
                        data={[{ value: "", label: "every alias" }, ...names.map((n) => ({ value: n, label: n }))]} />
        )}
      </Group>
      {shown.length === 0 ? (
        <Text size="sm" c="dimmed">No decisions yet.</Text>
      ) : (
        <Table aria-labelledby="alias-history" data-testid="alias-history">
          <Table.Thead>
            <Table.Tr><Table.Th>When</Table.Th><Table.Th>Who</Table.Th><Table.Th>Alias</Table.Th><Table.Th>What</Table.Th></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((e) => (
              <Table.Tr key={e.id} data-testid="history-row" data-kind={e.kind} data-alias={e.alias}>
                <Table.Td style={{ whiteSpace: "nowrap" }}>{formatTime(e.time_ms)}</Table.Td>
                <Table.Td>{e.actor}</Table.Td>
                <Table.Td>{e.alias}</Table.Td>
                <Table.Td>
                  <Group gap={6}>
                    <Badge size="sm" variant="light" color={KIND_COLORS[e.kind]}>{e.kind}</Badge>
                    <Text size="sm">{eventMove(e)}</Text>
                  </Group>
                  {e.kind === "refuse" && failedGates(e.gates).map((g, i) => (
                    <Text key={i} size="xs" c="red" data-testid="history-gate">{gateLine(g)}</Text>
                  ))}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

export function AliasesPanel(props: { model: ModelPublic; policies: PolicyPublic[]; events: AliasEventPublic[]; canMaintain: boolean }) {
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="aliases-heading" data-testid="aliases-panel">
      <Title order={3} id="aliases-heading" mb="sm">Aliases</Title>
      <Stack>
        <Holders {...props} />
        <History events={props.events} />
      </Stack>
    </Paper>
  );
}
