import { Anchor, AppShell, Group, Text } from "@mantine/core";
import { Link, Route, Routes } from "react-router-dom";
import { Empty } from "./components/States";
import { ComparePage } from "./features/compare/ComparePage";
import { ProjectsPage } from "./features/projects/ProjectsPage";
import { RunPage } from "./features/run/RunPage";
import { RunsPage } from "./features/runs/RunsPage";

export function App() {
  return (
    <AppShell header={{ height: 48 }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Anchor component={Link} to="/" fw={700} c="dark" underline="never">LabLedger</Anchor>
          <Text size="xs" c="dimmed">press / to filter · j/k to move · Enter to open · x to select</Text>
        </Group>
      </AppShell.Header>
      <AppShell.Main>
        <Routes>
          <Route path="/" element={<ProjectsPage />} />
          <Route path="/projects/:project" element={<RunsPage />} />
          <Route path="/runs/:runId" element={<RunPage />} />
          <Route path="/compare" element={<ComparePage />} />
          <Route path="*" element={<Empty>Nothing here. <Anchor component={Link} to="/">Back to projects</Anchor></Empty>} />
        </Routes>
      </AppShell.Main>
    </AppShell>
  );
}
