import { Checkbox, Group, Paper, SegmentedControl, Slider, Text } from "@mantine/core";
import { keepPreviousData, useQueries } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import type uPlot from "uplot";
import { api } from "../../api";
import { LineChart } from "../../components/charts/LineChart";
import { ErrorState } from "../../components/States";
import { alignSeries, xValues, type XAxis } from "../../lib/align";
import { smooth } from "../../lib/smoothing";
import { valuesFromWire } from "../../lib/wire";

export interface PanelRun {
  id: string;
  name: string;
  startMs: number;
  running: boolean;
}

export const MAX_POINTS = 1500;

/** The query a panel makes first (no zoom): shared so a page can start it early. */
export function historyQuery(runId: string, metric: string) {
  return { queryKey: ["history", runId, metric, null], queryFn: () => api.history(runId, metric, { max_points: MAX_POINTS }) };
}

/** One metric for one or more runs: overlaid curves with smoothing, log scale, x axis
 *  choice, and zoom that fetches detail for the visible step range from the server. */
export function MetricPanel({ metric, runs }: { metric: string; runs: PanelRun[] }) {
  const [weight, setWeight] = useState(0);
  const [logY, setLogY] = useState(false);
  const [axis, setAxis] = useState<XAxis>("step");
  const [range, setRange] = useState<[number, number] | null>(null);
  const live = runs.some((r) => r.running);
  const histories = useQueries({
    queries: runs.map((run) => ({
      queryKey: ["history", run.id, metric, range],
      queryFn: () => api.history(run.id, metric, {
        max_points: MAX_POINTS,
        ...(range ? { start_step: Math.floor(range[0]), end_step: Math.ceil(range[1]) } : {}),
      }),
      placeholderData: keepPreviousData,
      refetchInterval: run.running ? 5000 : (false as const),
    })),
  });
  const failed = histories.find((h) => h.isError);
  const ready = histories.every((h) => h.data);
  const data = useMemo(() => {
    if (!ready) return null;
    return alignSeries(histories.map((h, i) => {
      const d = h.data!;
      return { x: xValues(axis, d.steps, d.timestamps, runs[i].startMs), y: smooth(valuesFromWire(d.values), weight) };
    })) as unknown as uPlot.AlignedData;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ready, axis, weight, ...histories.map((h) => h.data)]);
  const total = histories.reduce((s, h) => s + (h.data?.total_points ?? 0), 0);

  return (
    <Paper withBorder p="sm" mb="md" data-testid="metric-panel" data-metric={metric}>
      <Group justify="space-between" mb={4}>
        <Text fw={600}>{metric}{live ? " · live" : ""}</Text>
        <Group gap="md">
          <Text size="xs" c="dimmed">{total.toLocaleString()} points</Text>
          <Group gap={4}>
            <Text size="xs">smoothing</Text>
            <Slider w={110} size="xs" min={0} max={0.99} step={0.01} value={weight} onChange={setWeight}
                    label={(v) => v.toFixed(2)} aria-label="smoothing" />
          </Group>
          <Checkbox size="xs" label="log" checked={logY} onChange={(e) => setLogY(e.currentTarget.checked)} />
          <SegmentedControl size="xs" value={axis} onChange={(v) => { setAxis(v as XAxis); setRange(null); }}
                            data={[{ label: "step", value: "step" }, { label: "wall time", value: "time" },
                                   { label: "relative", value: "relative" }]} />
        </Group>
      </Group>
      {failed && <ErrorState error={failed.error} />}
      {data && (
        <LineChart data={data} labels={runs.map((r) => r.name)} logY={logY} timeX={axis === "time"}
                   xLabel={axis === "step" ? "step" : axis === "time" ? "time" : "seconds"}
                   testId={`chart-${metric}`}
                   onZoom={axis === "step" ? (min, max) => setRange(min === null || max === null ? null : [min, max]) : undefined} />
      )}
    </Paper>
  );
}
