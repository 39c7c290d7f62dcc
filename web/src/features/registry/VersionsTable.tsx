import { Anchor, Button, Group, Paper, Table, Text, VisuallyHidden } from "@mantine/core";
import { Link } from "react-router-dom";
import { StatusBadge } from "../../components/StatusBadge";
import { formatNumber, formatTime } from "../../lib/format";
import { fromWire } from "../../lib/wire";
import { AliasBadges } from "./AliasBadges";
import { paths, type VersionPublic } from "./registryApi";

const KEY_METRICS = 4;

/** The metrics worth a column: those most versions have, by name, at most four. */
export function keyMetrics(versions: ReadonlyArray<Pick<VersionPublic, "metrics">>): string[] {
  const seen = new Map<string, number>();
  for (const v of versions) for (const k of Object.keys(v.metrics)) seen.set(k, (seen.get(k) ?? 0) + 1);
  return [...seen.entries()].sort(([a, n], [b, m]) => m - n || a.localeCompare(b)).slice(0, KEY_METRICS).map(([k]) => k).sort();
}

interface Props {
  versions: VersionPublic[];
  /** Offered to those who may promote (maintainers); absent, no control is shown. */
  onPromote?: (version: number) => void;
  /** The registry search shows versions of several models: name the model too. */
  showModel?: boolean;
  testId?: string;
}

/** Versions, newest first: source run and its status, its key metrics, aliases, who and when. */
export function VersionsTable({ versions, onPromote, showModel = false, testId = "versions-table" }: Props) {
  const metrics = keyMetrics(versions);
  const rows = [...versions].sort((a, b) => a.model.localeCompare(b.model) || b.version - a.version);
  return (
    <Paper withBorder style={{ overflowX: "auto" }}>
      <Table data-testid={testId} highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            {showModel && <Table.Th>Model</Table.Th>}
            <Table.Th>Version</Table.Th>
            <Table.Th>Run</Table.Th>
            <Table.Th>Status</Table.Th>
            {metrics.map((m) => <Table.Th key={m} style={{ textAlign: "right" }}>{m}</Table.Th>)}
            <Table.Th>Aliases</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((v) => (
            <Table.Tr key={`${v.model}/${v.version}`} data-testid="version-row" data-version={v.version} data-model={v.model}>
              {showModel && <Table.Td><Anchor component={Link} to={paths.model(v.model)}>{v.model}</Anchor></Table.Td>}
              <Table.Td fw={600}>v{v.version}</Table.Td>
              <Table.Td>
                <Anchor component={Link} to={paths.run(v.run_id)}>{v.run_name ?? v.run_id.slice(0, 12)}</Anchor>
                <Text size="xs" c="dimmed">{v.path}</Text>
              </Table.Td>
              <Table.Td>{v.run_status ? <StatusBadge status={v.run_status} /> : <Text size="sm" c="dimmed">deleted</Text>}</Table.Td>
              {metrics.map((m) => (
                <Table.Td key={m} style={{ textAlign: "right", fontVariantNumeric: "tabular-nums" }}>
                  {m in v.metrics ? formatNumber(fromWire(v.metrics[m])) : ""}
                </Table.Td>
              ))}
              <Table.Td><AliasBadges aliases={v.aliases} /></Table.Td>
              <Table.Td>
                <Text size="sm">{formatTime(v.created_ms)}</Text>
                <Text size="xs" c="dimmed">by {v.created_by}</Text>
              </Table.Td>
              <Table.Td>
                <Group gap={6} wrap="nowrap">
                  <Anchor component={Link} size="sm" to={paths.lineage(paths.versionNode(v.model, v.version))}
                          aria-label={`Lineage of ${v.model} v${v.version}`}>Lineage</Anchor>
                  {onPromote && (
                    <Button size="compact-xs" variant="light" onClick={() => onPromote(v.version)}
                            aria-label={`Promote v${v.version}…`}>Promote…</Button>
                  )}
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}
