import { Anchor, AppShell, Group, Text } from "@mantine/core";
import { lazy, Suspense } from "react";
import { Link, Route, Routes } from "react-router-dom";
import { Empty, Loading } from "./components/States";
import { ProjectsPage } from "./features/projects/ProjectsPage";
import { RunsPage } from "./features/runs/RunsPage";

// the chart library loads only with the pages that draw charts
const RunPage = lazy(() => import("./features/run/RunPage").then((m) => ({ default: m.RunPage })));
const ComparePage = lazy(() => import("./features/compare/ComparePage").then((m) => ({ default: m.ComparePage })));

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
        <Suspense fallback={<Loading what="the page" />}>
        <Routes>
          <Route path="/" element={<ProjectsPage />} />
          <Route path="/projects/:project" element={<RunsPage />} />
          <Route path="/runs/:runId" element={<RunPage />} />
          <Route path="/compare" element={<ComparePage />} />
          <Route path="*" element={<Empty>Nothing here. <Anchor component={Link} to="/">Back to projects</Anchor></Empty>} />
        </Routes>
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
