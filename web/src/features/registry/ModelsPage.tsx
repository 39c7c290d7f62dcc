import { Anchor, Paper, Stack, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { Empty, Loading } from "../../components/States";
import { usePageTitle } from "../../components/usePageTitle";
import { formatAgo } from "../../lib/format";
import { AliasBadges } from "./AliasBadges";
import { RegistryError } from "./RegistryError";
import { keys, paths, registryApi } from "./registryApi";
import { VersionSearch } from "./VersionSearch";

/** Every registered model the user may read, with its aliases and latest version, and a
 *  search over all their versions. */
export function ModelsPage() {
  usePageTitle("Models");
  const models = useQuery({ queryKey: keys.models, queryFn: registryApi.listModels });
  return (
    <Stack>
      <Title order={2}>Models</Title>
      {models.isPending && <Loading what="models" />}
      {models.isError && <RegistryError error={models.error} />}
      {models.data && models.data.length === 0 && (
        <Empty>No registered model yet. Register a run's files with <code>labledger models register NAME --run ID --path model</code>.</Empty>
      )}
      {models.data && models.data.length > 0 && (
        <Paper withBorder style={{ overflowX: "auto" }}>
          <Table striped highlightOnHover data-testid="models-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Model</Table.Th><Table.Th>Project</Table.Th><Table.Th>Aliases</Table.Th>
                <Table.Th>Latest version</Table.Th><Table.Th>Versions</Table.Th><Table.Th>Updated</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {models.data.map((m) => (
                <Table.Tr key={m.name} data-testid="model-row" data-model={m.name}>
                  <Table.Td>
                    <Anchor component={Link} to={paths.model(m.name)}>{m.name}</Anchor>
                    {m.description && <Text size="xs" c="dimmed" lineClamp={1}>{m.description}</Text>}
                  </Table.Td>
                  <Table.Td><Anchor component={Link} to={`/projects/${encodeURIComponent(m.project)}`}>{m.project}</Anchor></Table.Td>
                  <Table.Td><AliasBadges aliases={m.aliases} /></Table.Td>
                  <Table.Td>{m.latest_version == null ? "—" : `v${m.latest_version}`}</Table.Td>
                  <Table.Td>{m.versions}</Table.Td>
                  <Table.Td><Text size="sm">{formatAgo(m.updated_ms)}</Text></Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
      <VersionSearch />
    </Stack>
  );
}
