import { Anchor, Paper, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { Sparkline } from "../../components/Sparkline";
import { Empty, ErrorState, Loading } from "../../components/States";
import { usePageTitle } from "../../components/usePageTitle";
import { formatAgo } from "../../lib/format";
import { projectsQuery, useSession } from "../auth";

export function ProjectsPage() {
  usePageTitle("Projects");
  const projects = useQuery(projectsQuery);
  const session = useSession();
  const restricted = session.auth && !session.admin; // the list holds only what the user may read
  return (
    <>
      <Title order={2} mb="md">Projects</Title>
      {projects.isPending && <Loading what="projects" />}
      {projects.isError && <ErrorState error={projects.error} />}
      {projects.data && projects.data.length === 0 && !restricted && (
        <Empty>No projects yet. Log a run with <code>ll.init(project=…)</code> or run <code>labledger demo</code>.</Empty>
      )}
      {projects.data && projects.data.length === 0 && restricted && (
        <Empty>No project you may read yet. Log a run with <code>ll.init(project=…)</code> (you own the projects you create), or ask a project's owner to add you.</Empty>
      )}
      {projects.data && projects.data.length > 0 && (
        <Paper withBorder>
          <Table striped highlightOnHover data-testid="projects-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Project</Table.Th>
                <Table.Th>Runs</Table.Th>
                <Table.Th>Last activity</Table.Th>
                <Table.Th>Runs per day (30 days)</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {projects.data.map((p) => (
                <Table.Tr key={p.name}>
                  <Table.Td>
                    <Anchor component={Link} to={`/projects/${encodeURIComponent(p.name)}`}>{p.name}</Anchor>
                  </Table.Td>
                  <Table.Td>{p.run_count.toLocaleString()}</Table.Td>
                  <Table.Td><Text size="sm">{formatAgo(p.last_activity_ms)}</Text></Table.Td>
                  <Table.Td><Sparkline values={p.runs_per_day} /></Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
    </>
  );
}
