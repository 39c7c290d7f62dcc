import { Anchor, Group, Paper, Select, SimpleGrid, Table, Text, Title } from "@mantine/core";
import { useQueries } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import type uPlot from "uplot";
import { api, type RunPublic } from "../../api";
import { LineChart, PALETTE } from "../../components/charts/LineChart";
import { ParallelCoordinates } from "../../components/charts/ParallelCoordinates";
import { ErrorState, Loading } from "../../components/States";
import { usePageTitle } from "../../components/usePageTitle";
import { diffRows } from "../../lib/paramTree";
import { fromWire } from "../../lib/wire";
import { EnvironmentCompare } from "../run/environment";
import { MetricPanel } from "../run/MetricPanel";

function ParamDiff({ runs }: { runs: RunPublic[] }) {
  const rows = diffRows(runs.map((r) => r.params));
  return (
    <Table withTableBorder data-testid="param-diff">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>param</Table.Th>
          {runs.map((r, i) => <Table.Th key={r.id} style={{ color: PALETTE[i % PALETTE.length] }}>{r.name}</Table.Th>)}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((row) => (
          <Table.Tr key={row.key} data-testid="param-diff-row" data-key={row.key} data-differs={row.differs}
                    className={row.differs ? "ll-differs" : undefined}>
            <Table.Td ff="monospace">{row.key}</Table.Td>
            {row.values.map((v, i) => <Table.Td key={i} ff="monospace">{v ?? "—"}</Table.Td>)}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function numeric(v: string | undefined): number | string | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return v.trim() !== "" && Number.isFinite(n) ? n : v;
}

function columnValue(run: RunPublic, field: string): number | string | undefined {
  if (field.startsWith("metrics.")) {
    const key = field.slice(8);
    return key in run.metrics ? fromWire(run.metrics[key]) : undefined;
  }
  return numeric(run.params[field.slice(7)]);
}

export function ComparePage() {
  const [params] = useSearchParams();
  const ids = (params.get("runs") ?? "").split(",").filter(Boolean).slice(0, 50);
  usePageTitle(`Compare ${ids.length} runs`);
  const queries = useQueries({ queries: ids.map((id) => ({ queryKey: ["run", id], queryFn: () => api.getRun(id), retry: false })) });
  const failed = queries.find((q) => q.isError);
  const runs = queries.every((q) => q.data) ? queries.map((q) => q.data as RunPublic) : null;
  const metricKeys = useMemo(() => Array.from(new Set(runs?.flatMap((r) => Object.keys(r.metrics)) ?? [])).sort(), [runs]);
  const varying = useMemo(() => (runs ? diffRows(runs.map((r) => r.params)).filter((d) => d.differs).map((d) => `params.${d.key}`) : []), [runs]);
  const columns = [...varying, ...metricKeys.map((k) => `metrics.${k}`)];
  const [target, setTarget] = useState<string | null>(null);
  const [sx, setSx] = useState<string | null>(null);
  const [sy, setSy] = useState<string | null>(null);

  if (ids.length < 2) return <ErrorState error={new Error("Pick at least two runs to compare (select them in a project's table).")} />;
  if (failed) return <ErrorState error={failed.error} />;
  if (!runs) return <Loading what={`${ids.length} runs`} />;
  const metric = target ?? (metricKeys[0] ? `metrics.${metricKeys[0]}` : null);
  const axes = [...varying, ...(metric ? [metric] : [])].map((f) => ({ label: f.replace(/^(params|metrics)\./, ""), values: runs.map((r) => columnValue(r, f)) }));
  const xField = sx ?? columns[0] ?? null;
  const yField = sy ?? columns[columns.length - 1] ?? null;
  const pairs = xField && yField
    ? runs.map((r) => [columnValue(r, xField), columnValue(r, yField)]).filter((p): p is [number, number] => typeof p[0] === "number" && typeof p[1] === "number").sort((a, b) => a[0] - b[0])
    : [];
  const scatter = [pairs.map((p) => p[0]), pairs.map((p) => p[1])] as unknown as uPlot.AlignedData;
  const panelRuns = runs.map((r) => ({ id: r.id, name: r.name, startMs: r.start_ms, running: r.status === "running" }));

  return (
    <>
      <Title order={2} mb="sm">Compare {runs.length} runs</Title>
      <Group gap="xs" mb="md">
        {runs.map((r, i) => (
          <Anchor key={r.id} component={Link} to={`/runs/${r.id}`} style={{ color: PALETTE[i % PALETTE.length] }}>{r.name}</Anchor>
        ))}
      </Group>
      <Paper withBorder p="sm" mb="md"><Title order={4} mb="xs">Params</Title><ParamDiff runs={runs} /></Paper>
      <EnvironmentCompare runs={runs} />
      <SimpleGrid cols={{ base: 1, lg: 2 }} mb="md">
        <Paper withBorder p="sm">
          <Group justify="space-between"><Title order={4}>Parallel coordinates</Title>
            <Select size="xs" data={metricKeys.map((k) => `metrics.${k}`)} value={metric} onChange={setTarget} aria-label="metric" /></Group>
          {axes.length > 1 ? <ParallelCoordinates axes={axes} lines={runs.map((r) => r.name)} /> : <Text size="sm" c="dimmed">No varying params.</Text>}
        </Paper>
        <Paper withBorder p="sm">
          <Group justify="space-between"><Title order={4}>Scatter</Title>
            <Group gap={4}>
              <Select size="xs" w={150} data={columns} value={xField} onChange={setSx} aria-label="x" />
              <Select size="xs" w={150} data={columns} value={yField} onChange={setSy} aria-label="y" />
            </Group>
          </Group>
          {pairs.length > 0 ? <LineChart data={scatter} labels={[yField ?? "y"]} xLabel={xField ?? "x"} points testId="scatter" />
                            : <Text size="sm" c="dimmed">Pick two numeric columns.</Text>}
        </Paper>
      </SimpleGrid>
      <Title order={4} mb="xs">Metrics</Title>
      {metricKeys.map((k) => <MetricPanel key={k} metric={k} runs={panelRuns.filter((_, i) => k in runs[i].metrics)} />)}
    </>
  );
}
