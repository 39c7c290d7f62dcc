import { Alert, Anchor, Group, NativeSelect, Paper, Stack, Table, Text, Title } from "@mantine/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { Empty, Loading } from "../../components/States";
import { usePageTitle } from "../../components/usePageTitle";
import { LineageGraph } from "./LineageGraph";
import {
  layoutLineage, modelMissingDeployments, nodeLink, withDeploymentDetails, withDeploymentRecords, type LineageEdge, type LineageNode,
} from "./lineageLayout";
import { RegistryError } from "./RegistryError";
import { keys, registryApi } from "./registryApi";

const DEPTHS = ["1", "2", "3", "4", "5", "6", "8", "10"];

/** The graph around one node (?node=run:…, version:model/n, deployment:id, dataset:…):
 *  columns by kind in the order data flows, each node linking to its page. */
export function LineagePage() {
  const [params, setParams] = useSearchParams();
  const node = params.get("node") ?? "";
  const depth = Number(params.get("depth") ?? "4") || 4;
  usePageTitle(node ? `Lineage of ${node}` : "Lineage");
  const graph = useQuery({
    queryKey: keys.lineage(node, depth),
    queryFn: () => registryApi.lineage(node, depth),
    enabled: node !== "",
    retry: false,
    placeholderData: keepPreviousData,
  });
  const base = useMemo(() => {
    if (!graph.data) return null;
    const edges = graph.data.edges as unknown as LineageEdge[];
    return { edges, nodes: withDeploymentDetails(graph.data.nodes as unknown as LineageNode[], edges) };
  }, [graph.data]);
  // the node the walk starts from comes without details: a deployment's environment is
  // taken from the model's deployment records
  const missing = base ? modelMissingDeployments(base.nodes) : null;
  const records = useQuery({
    queryKey: keys.deployments(missing ?? ""),
    queryFn: () => registryApi.deployments(missing as string),
    enabled: missing !== null,
  });
  const shaped = useMemo(() => {
    if (!base) return null;
    const nodes = records.data ? withDeploymentRecords(base.nodes, records.data) : base.nodes;
    return { nodes, edges: base.edges, layout: layoutLineage(nodes, base.edges) };
  }, [base, records.data]);
  const label = (id: string) => shaped?.nodes.find((n) => n.id === id)?.label ?? id;

  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <Stack gap={0}>
          <Title order={2}>Lineage</Title>
          {node && <Text size="sm" c="dimmed" data-testid="lineage-root">from <code>{node}</code></Text>}
        </Stack>
        {node && (
          <NativeSelect label="Steps from the start" value={String(depth)} data={DEPTHS} w={160}
                        onChange={(e) => setParams((prev) => { const out = new URLSearchParams(prev); out.set("depth", e.currentTarget.value); return out; })} />
        )}
      </Group>
      {!node && <Empty>Open the lineage of a version or a deployment from its model's page, or give <code>?node=run:ID</code>.</Empty>}
      {graph.isPending && node && <Loading what="the lineage" />}
      {graph.isError && <RegistryError error={graph.error} />}
      {shaped && graph.data && (
        <>
          {graph.data.truncated && (
            <Alert color="yellow" data-testid="lineage-truncated">
              The graph is cut short: too many nodes, or a node with too many neighbours. Start from a closer node or take fewer steps.
            </Alert>
          )}
          <Paper withBorder p="md" style={{ opacity: graph.isPlaceholderData ? 0.6 : 1 }}>
            <LineageGraph layout={shaped.layout} root={graph.data.root} />
          </Paper>
          <details>
            <summary><Text span size="sm">Edges as a table ({shaped.edges.length})</Text></summary>
            <Table data-testid="lineage-edges" mt="xs">
              <Table.Thead><Table.Tr><Table.Th>From</Table.Th><Table.Th>Relation</Table.Th><Table.Th>To</Table.Th></Table.Tr></Table.Thead>
              <Table.Tbody>
                {shaped.edges.map((e) => (
                  <Table.Tr key={`${e.from}>${e.to}`}>
                    <Table.Td><NodeName id={e.from} text={label(e.from)} nodes={shaped.nodes} /></Table.Td>
                    <Table.Td>{e.relation}</Table.Td>
                    <Table.Td><NodeName id={e.to} text={label(e.to)} nodes={shaped.nodes} /></Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </details>
        </>
      )}
    </Stack>
  );
}

function NodeName({ id, text, nodes }: { id: string; text: string; nodes: LineageNode[] }) {
  const node = nodes.find((n) => n.id === id);
  const link = node ? nodeLink(node) : null;
  return link ? <Anchor component={Link} to={link.to} size="sm">{text}</Anchor> : <Text span size="sm">{text}</Text>;
}
