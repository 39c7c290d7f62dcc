import { Anchor, Badge, Group, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { Loading } from "../../components/States";
import { usePageTitle } from "../../components/usePageTitle";
import { formatTime } from "../../lib/format";
import { usePermissions } from "../auth";
import { AliasesPanel } from "./AliasesPanel";
import { DeploymentsPanel } from "./DeploymentsPanel";
import { ApprovalsPanel, PoliciesPanel } from "./PoliciesPanel";
import { PromoteDialog } from "./PromoteDialog";
import { RegistryError } from "./RegistryError";
import { keys, registryApi } from "./registryApi";
import { VersionsTable } from "./VersionsTable";

/** One registered model: its versions, aliases with their history, policies, approvals,
 *  environments and production drift.  Maintainers promote, approve and roll back. */
export function ModelPage() {
  const name = useParams().name as string;
  usePageTitle(`${name} · Models`);
  const model = useQuery({ queryKey: keys.model(name), queryFn: () => registryApi.getModel(name), retry: false });
  const versions = useQuery({ queryKey: keys.versions(name), queryFn: () => registryApi.versions(name), enabled: model.isSuccess });
  const policies = useQuery({ queryKey: keys.policies(name), queryFn: () => registryApi.policies(name), enabled: model.isSuccess });
  const history = useQuery({ queryKey: keys.history(name), queryFn: () => registryApi.history(name), enabled: model.isSuccess });
  const may = usePermissions(model.data?.project);
  const [promoting, setPromoting] = useState<number | null>(null);

  if (model.isPending) return <Loading what="the model" />;
  if (model.isError) return <RegistryError error={model.error} />;
  const m = model.data;
  // every alias the model holds, has a policy for, or has decided on
  const aliasNames = [...new Set([
    ...Object.keys(m.aliases),
    ...(policies.data ?? []).map((p) => p.alias).filter((a): a is string => !!a),
    ...(history.data ?? []).map((e) => e.alias),
  ])].sort();
  const role = may.settled ? (may.unrestricted ? "all" : may.role ?? "none") : "pending";
  return (
    <Stack data-testid="model-page" data-role={role}>
      <Stack gap={2}>
        <Group gap="sm">
          <Anchor component={Link} to="/models">Models</Anchor>
          <Text c="dimmed">/</Text>
          <Title order={2} data-testid="model-name">{m.name}</Title>
          {Object.entries(m.aliases).sort().map(([a, v]) => (
            <Badge key={a} variant="light" color="grape" style={{ textTransform: "none" }}>{a} → v{v}</Badge>
          ))}
        </Group>
        <Text size="sm" c="dimmed">
          in <Anchor component={Link} to={`/projects/${encodeURIComponent(m.project)}`} size="sm">{m.project}</Anchor>
          {" · "}{m.versions} version{m.versions === 1 ? "" : "s"} · created {formatTime(m.created_ms)} by {m.created_by}
        </Text>
        {m.description && <Text size="sm">{m.description}</Text>}
        {Object.keys(m.tags).length > 0 && (
          <Group gap={4}>{Object.entries(m.tags).map(([k, v]) => <Badge key={k} variant="outline" style={{ textTransform: "none" }}>{k}: {v}</Badge>)}</Group>
        )}
      </Stack>

      <Stack gap="xs" component="section" aria-labelledby="versions-heading">
        <Title order={3} id="versions-heading">Versions</Title>
        {versions.isPending && <Loading what="versions" />}
        {versions.isError && <RegistryError error={versions.error} />}
        {versions.data && versions.data.length === 0 && <Text size="sm" c="dimmed">No versions yet: register a run's files with labledger models register.</Text>}
        {versions.data && versions.data.length > 0 && (
          <VersionsTable versions={versions.data} onPromote={may.maintain ? setPromoting : undefined} />
        )}
      </Stack>

      {(policies.isError || history.isError) && <RegistryError error={policies.error ?? history.error} />}
      {policies.data && history.data ? (
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          <AliasesPanel model={m} policies={policies.data} events={history.data} canMaintain={may.maintain} />
          <Stack>
            <PoliciesPanel policies={policies.data} />
            <ApprovalsPanel model={m.name} aliases={aliasNames} />
          </Stack>
        </SimpleGrid>
      ) : (
        !(policies.isError || history.isError) && <Loading what="aliases and policies" />
      )}

      <DeploymentsPanel model={m.name} />

      {promoting !== null && (
        <PromoteDialog model={m.name} version={promoting} aliases={aliasNames} onClose={() => setPromoting(null)} />
      )}
    </Stack>
  );
}
