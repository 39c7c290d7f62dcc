import { Anchor, AppShell, Group, Text } from "@mantine/core";
import { lazy, Suspense } from "react";
import { Link, Route, Routes, useLocation } from "react-router-dom";
import { Empty, Loading } from "./components/States";
import { LoginPage, SessionGate, useSession, UserMenu } from "./features/auth";
import { ProjectsPage } from "./features/projects/ProjectsPage";
import { RunsPage } from "./features/runs/RunsPage";

// the chart library loads only with the pages that draw charts
const RunPage = lazy(() => import("./features/run/RunPage").then((m) => ({ default: m.RunPage })));
const ComparePage = lazy(() => import("./features/compare/ComparePage").then((m) => ({ default: m.ComparePage })));
// pages few people open load on demand too
const MembersPage = lazy(() => import("./features/members").then((m) => ({ default: m.MembersPage })));
const UsersPage = lazy(() => import("./features/users").then((m) => ({ default: m.UsersPage })));
const TokensPage = lazy(() => import("./features/tokens").then((m) => ({ default: m.TokensPage })));
const AccountPage = lazy(() => import("./features/account").then((m) => ({ default: m.AccountPage })));
const AuditPage = lazy(() => import("./features/audit").then((m) => ({ default: m.AuditPage })));
// the model registry: the model page draws drift charts, so it loads apart from the others
const ModelsPage = lazy(() => import("./features/registry").then((m) => ({ default: m.ModelsPage })));
const ModelPage = lazy(() => import("./features/registry/ModelPage").then((m) => ({ default: m.ModelPage })));
const LineagePage = lazy(() => import("./features/registry").then((m) => ({ default: m.LineagePage })));

/** The header's links to the app's sections (none before signing in). */
function NavLinks() {
  // signing in replaces the session's cache entry (signedIn clears the cache) and then
  // navigates: reading the location makes this render again and find the new entry
  useLocation();
  const session = useSession();
  if (session.auth && !session.user) return null;
  return <Anchor component={Link} to="/models" size="sm">Models</Anchor>;
}

export function App() {
  return (
    <AppShell header={{ height: 48 }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="lg" wrap="nowrap">
            <Anchor component={Link} to="/" fw={700} c="dark" underline="never">LabLedger</Anchor>
            <NavLinks />
          </Group>
          <Group gap="lg" wrap="nowrap">
            <Text size="xs" c="dimmed" visibleFrom="md">press / to filter · j/k to move · Enter to open · x to select</Text>
            <UserMenu />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Main>
        <SessionGate>
        <Suspense fallback={<Loading what="the page" />}>
        <Routes>
          <Route path="/" element={<ProjectsPage />} />
          <Route path="/login" element={<LoginPage />} />
          <Route path="/projects/:project" element={<RunsPage />} />
          <Route path="/projects/:project/members" element={<MembersPage />} />
          <Route path="/runs/:runId" element={<RunPage />} />
          <Route path="/compare" element={<ComparePage />} />
          <Route path="/users" element={<UsersPage />} />
          <Route path="/tokens" element={<TokensPage />} />
          <Route path="/account" element={<AccountPage />} />
          <Route path="/audit" element={<AuditPage />} />
          <Route path="/models" element={<ModelsPage />} />
          <Route path="/models/:name" element={<ModelPage />} />
          <Route path="/lineage" element={<LineagePage />} />
          <Route path="*" element={<Empty>Nothing here. <Anchor component={Link} to="/">Back to projects</Anchor></Empty>} />
        </Routes>
        </Suspense>
        </SessionGate>
      </AppShell.Main>
    </AppShell>
  );
}
