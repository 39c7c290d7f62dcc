import { Anchor, Badge, Button, Code, Group, Paper, SimpleGrid, Stack, Tabs, Text, Textarea, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { api, type RunPublic } from "../../api";
import { Empty, ErrorState, Loading } from "../../components/States";
import { StatusBadge } from "../../components/StatusBadge";
import { usePageTitle } from "../../components/usePageTitle";
import { formatDuration, formatTime } from "../../lib/format";
import type { Permissions } from "../../lib/roles";
import { AuditLog } from "../audit";
import { usePermissions } from "../auth";
import { ArtifactsTab } from "./artifacts/ArtifactsTab";
import { CompletenessFlag, EnvironmentTab } from "./environment";
import { historyQuery, MetricPanel } from "./MetricPanel";
import { ParamsTree } from "./ParamsTree";
import { RunActions } from "./RunActions";

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed">{label}</Text>
      <Text size="sm" component="div">{children || "—"}</Text>
    </Stack>
  );
}

/** A viewer reads the notes; an editor (and up) edits them. */
function Notes({ run, editable }: { run: RunPublic; editable: boolean }) {
  const client = useQueryClient();
  const [text, setText] = useState(run.notes ?? "");
  useEffect(() => setText(run.notes ?? ""), [run.notes]);
  const save = useMutation({
    mutationFn: () => api.updateRun(run.id, { notes: text }),
    onSuccess: (updated) => client.setQueryData(["run", run.id], updated),
  });
  if (!editable) {
    return (
      <Stack gap={4} data-testid="notes-readonly">
        <Text size="sm" fw={500}>Notes</Text>
        {run.notes ? <Text size="sm" style={{ whiteSpace: "pre-wrap" }}>{run.notes}</Text> : <Text size="sm" c="dimmed">No notes.</Text>}
      </Stack>
    );
  }
  return (
    <Stack gap={4}>
      <Textarea label="Notes" autosize minRows={2} value={text} data-testid="notes"
                onChange={(e) => setText(e.currentTarget.value)} />
      <Group>
        <Button size="xs" variant="light" loading={save.isPending} disabled={text === (run.notes ?? "")}
                onClick={() => save.mutate()}>Save notes</Button>
        {save.isError && <Text size="xs" c="red">{String((save.error as Error).message)}</Text>}
      </Group>
    </Stack>
  );
}

function Overview({ run, may }: { run: RunPublic; may: Permissions }) {
  const tags = Object.entries(run.tags);
  return (
    <Stack>
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        <Field label="Status"><StatusBadge status={run.status} /></Field>
        <Field label="Started">{formatTime(run.start_ms)}</Field>
        <Field label="Ended">{formatTime(run.end_ms)}</Field>
        <Field label="Duration">{formatDuration(run.duration_ms ?? (run.status === "running" ? Date.now() - run.start_ms : null))}</Field>
        <Field label="User">{run.user}</Field>
        <Field label="Group">{run.group}</Field>
        <Field label="Parent">{run.parent_id && <Anchor component={Link} to={`/runs/${run.parent_id}`}>{run.parent_id.slice(0, 12)}…</Anchor>}</Field>
        <Field label="Run key">{run.run_key}</Field>
        <Field label="Command">{run.tags["command"] ? <Code>{run.tags["command"]}</Code> : "not captured yet"}</Field>
        <Field label="Git commit">{run.tags["git.commit"] ? <Code>{run.tags["git.commit"]}</Code> : "not captured yet"}</Field>
      </SimpleGrid>
      <Group gap={6}>
        {tags.length === 0 && <Text size="sm" c="dimmed">No tags.</Text>}
        {tags.map(([k, v]) => <Badge key={k} variant="outline" style={{ textTransform: "none" }}>{k}: {v}</Badge>)}
      </Group>
      <Notes run={run} editable={may.write} />
    </Stack>
  );
}

function useMetricKeys(runId: string, running: boolean) {
  return useQuery({ queryKey: ["metric-keys", runId], queryFn: () => api.metricKeys(runId),
                    refetchInterval: running ? 5000 : false });
}

function Charts({ run }: { run: RunPublic }) {
  const keys = useMetricKeys(run.id, run.status === "running");
  if (keys.isPending) return <Loading what="metrics" />;
  if (keys.isError) return <ErrorState error={keys.error} />;
  if (!keys.data.length) return <Empty>No metrics logged.</Empty>;
  const panelRun = { id: run.id, name: run.name, startMs: run.start_ms, running: run.status === "running" };
  return <>{keys.data.map((k) => <MetricPanel key={k} metric={k} runs={[panelRun]} />)}</>;
}

const TABS = ["overview", "params", "charts", "artifacts", "environment", "lineage", "audit"];

export function RunPage() {
  const runId = useParams().runId as string;
  // the tab and the selected artifact live in the URL: ?tab=artifacts&artifact=eval/loss.png
  const [search, setSearch] = useSearchParams();
  const tab = TABS.includes(search.get("tab") ?? "") ? (search.get("tab") as string) : "overview";
  const setView = (next: { tab?: string; artifact?: string | null }) =>
    setSearch((prev) => {
      const out = new URLSearchParams(prev);
      if (next.tab !== undefined) {
        if (next.tab === "overview") out.delete("tab");
        else out.set("tab", next.tab);
      }
      if (next.artifact !== undefined) {
        if (next.artifact) out.set("artifact", next.artifact);
        else out.delete("artifact");
      }
      return out;
    }, { replace: true });
  const run = useQuery({
    queryKey: ["run", runId],
    queryFn: () => api.getRun(runId),
    refetchInterval: (q) => (q.state.data?.status === "running" ? 5000 : false),
    retry: false,
  });
  const keys = useMetricKeys(runId, run.data?.status === "running"); // fetched alongside the run
  const may = usePermissions(run.data?.project);
  usePageTitle(run.data ? `${run.data.name} · ${run.data.project}` : "Run");
  const client = useQueryClient();
  useEffect(() => {
    // start the charts' first requests as soon as the keys are known, not after the run
    for (const key of keys.data ?? []) void client.prefetchQuery(historyQuery(runId, key));
  }, [keys.data, runId, client]);
  if (run.isPending) return <Loading what="the run" />;
  if (run.isError) return <ErrorState error={run.error} />;
  const r = run.data;
  return (
    <>
      <Group mb="sm" gap="sm">
        <Anchor component={Link} to={`/projects/${encodeURIComponent(r.project)}`}>{r.project}</Anchor>
        <Text c="dimmed">/</Text>
        <Title order={2} data-testid="run-name">{r.name}</Title>
        <StatusBadge status={r.status} />
        <Code>{r.id}</Code>
        <CompletenessFlag runId={r.id} project={r.project} running={r.status === "running"} />
        <RunActions run={r} may={may} />
      </Group>
      <Tabs value={tab} onChange={(t) => setView({ tab: t ?? "overview" })} keepMounted={false}
            data-testid="run-tabs" data-role={may.settled ? (may.unrestricted ? "all" : may.role ?? "none") : "pending"}>
        <Tabs.List mb="md">
          {TABS.map((t) => (
            <Tabs.Tab key={t} value={t} data-testid={`tab-${t}`}>{t[0].toUpperCase() + t.slice(1)}</Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value="overview">
          <Paper withBorder p="md" mb="md"><Overview run={r} may={may} /></Paper>
          <Charts run={r} />
        </Tabs.Panel>
        <Tabs.Panel value="params"><Paper withBorder p="md"><ParamsTree params={r.params} /></Paper></Tabs.Panel>
        <Tabs.Panel value="charts"><Charts run={r} /></Tabs.Panel>
        <Tabs.Panel value="artifacts">
          <ArtifactsTab runId={r.id} running={r.status === "running"} selected={search.get("artifact")}
                        onSelect={(path) => setView({ artifact: path })} />
        </Tabs.Panel>
        <Tabs.Panel value="environment"><EnvironmentTab run={r} /></Tabs.Panel>
        <Tabs.Panel value="audit"><AuditLog filter={{ run_id: r.id }} showRun={false} /></Tabs.Panel>
        <Tabs.Panel value="lineage">
          <Text mb="xs">
            The datasets, commit and environment this run used, and the model versions and
            deployments made from it.
          </Text>
          <Anchor component={Link} to={`/lineage?node=${encodeURIComponent(`run:${r.id}`)}`}>
            Open the lineage of this run
          </Anchor>
        </Tabs.Panel>
      </Tabs>
    </>
  );
}
