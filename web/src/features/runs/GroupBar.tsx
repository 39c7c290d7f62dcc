import { Badge, Group, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { api } from "../../api";
import { ErrorState } from "../../components/States";

function clauseFor(field: string, value: string | null): string {
  if (value === null) return `${field} IS NULL`;
  return `${field} = '${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Run counts per value of the grouping field; clicking a group narrows the filter to it. */
export function GroupBar({ project, groupBy, filter, onPick }: {
  project: string; groupBy: string; filter: string; onPick: (clause: string) => void;
}) {
  const groups = useQuery({
    queryKey: ["groups", project, groupBy, filter],
    queryFn: () => api.groupRuns({ project, group_by: groupBy, filter: filter || null }),
  });
  if (groups.isError) return <ErrorState error={groups.error} />;
  return (
    <Group gap={6} mb="xs" data-testid="group-bar">
      <Text size="xs" c="dimmed">{groupBy}:</Text>
      {(groups.data ?? []).map((g) => (
        <Badge key={String(g.value)} variant="light" style={{ cursor: "pointer", textTransform: "none" }}
               onClick={() => onPick(clauseFor(groupBy, g.value ?? null))}>
          {g.value ?? "(none)"} · {g.count.toLocaleString()}
        </Badge>
      ))}
    </Group>
  );
}
