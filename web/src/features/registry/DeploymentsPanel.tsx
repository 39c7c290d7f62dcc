import { Anchor, Badge, Group, Paper, Stack, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link } from "react-router-dom";
import type uPlot from "uplot";
import { LineChart } from "../../components/charts/LineChart";
import { ErrorState, Loading } from "../../components/States";
import { formatTime } from "../../lib/format";
import { alertFeatures, psiSeries } from "./drift";
import { keys, paths, registryApi, type AlertPublic, type DeploymentPublic } from "./registryApi";

/** What each environment serves now. */
function Environments({ deployments }: { deployments: DeploymentPublic[] }) {
  if (deployments.length === 0) return <Text size="sm" c="dimmed">Not deployed anywhere yet (deploy pipelines record deployments: labledger deploy record).</Text>;
  return (
    <Table data-testid="environments-table">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Environment</Table.Th><Table.Th>Version</Table.Th><Table.Th>Run</Table.Th><Table.Th>Since</Table.Th>
          <Table.Th>URL</Table.Th><Table.Th>Recorded by</Table.Th><Table.Th>Lineage</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {deployments.map((d) => (
          <Table.Tr key={d.env} data-testid="environment-row" data-env={d.env}>
            <Table.Td fw={600}>{d.env}</Table.Td>
            <Table.Td>v{d.version}</Table.Td>
            <Table.Td><Anchor component={Link} to={paths.run(d.run_id)}>{d.run_id.slice(0, 12)}</Anchor></Table.Td>
            <Table.Td>{formatTime(d.since_ms)}</Table.Td>
            <Table.Td>{d.url ? <Anchor href={d.url} target="_blank" rel="noreferrer">{d.url}</Anchor> : ""}{d.note && <Text size="xs" c="dimmed">{d.note}</Text>}</Table.Td>
            <Table.Td>{d.recorded_by}</Table.Td>
            <Table.Td>
              <Anchor component={Link} to={paths.lineage(paths.deploymentNode(d.id))} aria-label={`Lineage of the ${d.env} deployment`}>Lineage</Anchor>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** PSI per feature over time for one environment's production batches. */
function DriftChart({ model, env }: { model: string; env: string }) {
  const points = useQuery({ queryKey: keys.drift(model, env), queryFn: () => registryApi.drift(model, env) });
  const series = useMemo(() => (points.data ? psiSeries(points.data) : null), [points.data]);
  const data = useMemo(
    () => (series ? ([series.times, ...series.psi] as unknown as uPlot.AlignedData) : null),
    [series],
  );
  const headingId = `drift-${env}`;
  return (
    <Stack gap={4} component="section" aria-labelledby={headingId} data-testid="drift" data-env={env}>
      <Group justify="space-between">
        <Title order={4} id={headingId}>Drift in {env}: PSI per feature</Title>
        {series && series.times.length > 0 && (
          <Text size="xs" c="dimmed">{series.times.length} batches · {series.alerts.length} with an alert</Text>
        )}
      </Group>
      {points.isPending && <Loading what="drift" />}
      {points.isError && <ErrorState error={points.error} />}
      {series && series.times.length === 0 && <Text size="sm" c="dimmed">No production data sent to {env} yet.</Text>}
      {series && data && series.times.length > 0 && (
        <LineChart data={data} labels={series.features} timeX xLabel="time" height={220} testId={`drift-chart-${env}`} />
      )}
    </Stack>
  );
}

/** Drift alerts, newest first: where, which version and run, which features drifted. */
function Alerts({ alerts }: { alerts: AlertPublic[] }) {
  if (alerts.length === 0) return <Text size="sm" c="dimmed">No drift alerts.</Text>;
  return (
    <Table aria-labelledby="alerts-heading" data-testid="alerts-table">
      <Table.Thead>
        <Table.Tr><Table.Th>When</Table.Th><Table.Th>Environment</Table.Th><Table.Th>Version</Table.Th><Table.Th>Run</Table.Th><Table.Th>Drifting features</Table.Th></Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {alerts.map((a) => (
          <Table.Tr key={a.id} data-testid="alert-row" data-env={a.env}>
            <Table.Td style={{ whiteSpace: "nowrap" }}>{formatTime(a.time_ms)}</Table.Td>
            <Table.Td>{a.env}</Table.Td>
            <Table.Td>v{a.version}</Table.Td>
            <Table.Td><Anchor component={Link} to={paths.run(a.run_id)}>{a.run_id.slice(0, 12)}</Anchor></Table.Td>
            <Table.Td>
              <Group gap={4}>
                {alertFeatures(a.features).map((f) => (
                  <Badge key={f.name} color="red" variant="light" style={{ textTransform: "none" }}>{f.text}</Badge>
                ))}
              </Group>
              <Text size="xs" c="dimmed">
                thresholds: {Object.entries(a.thresholds).map(([k, v]) => `${k} ${v}`).join(", ")}
              </Text>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function DeploymentsPanel({ model }: { model: string }) {
  const envs = useQuery({ queryKey: keys.environments(model), queryFn: () => registryApi.environments(model) });
  const alerts = useQuery({ queryKey: keys.alerts(model), queryFn: () => registryApi.alerts(model) });
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="deployments-heading" data-testid="deployments-panel">
      <Title order={3} id="deployments-heading" mb="sm">Environments</Title>
      {envs.isPending && <Loading what="environments" />}
      {envs.isError && <ErrorState error={envs.error} />}
      {envs.data && (
        <Stack>
          <Environments deployments={envs.data} />
          {envs.data.map((d) => <DriftChart key={d.env} model={model} env={d.env} />)}
          <Stack gap={4}>
            <Title order={4} id="alerts-heading">Drift alerts</Title>
            {alerts.isPending && <Loading what="alerts" />}
            {alerts.isError && <ErrorState error={alerts.error} />}
            {alerts.data && <Alerts alerts={alerts.data} />}
          </Stack>
        </Stack>
      )}
    </Paper>
  );
}
