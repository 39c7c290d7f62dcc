import { Button, Group, Stack, Text, TextInput, Title } from "@mantine/core";
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { Empty } from "../../components/States";
import { usePageTitle } from "../../components/usePageTitle";
import { useSession } from "../auth";
import { AuditLog } from "./AuditLog";
import { VerifyChain } from "./VerifyChain";

/** The audit log: all of it for server admins, a project's for its maintainers
 *  (``/audit?project=…``, linked from the members page).  Filters live in the URL. */
export function AuditPage() {
  usePageTitle("Audit log");
  const session = useSession();
  const [params, setParams] = useSearchParams();
  const project = params.get("project") ?? "";
  const actor = params.get("actor") ?? "";
  const [draft, setDraft] = useState({ project, actor });
  useEffect(() => setDraft({ project, actor }), [project, actor]); // a link to /audit?project=…
  const apply = () => {
    const next = new URLSearchParams();
    if (draft.project.trim()) next.set("project", draft.project.trim());
    if (draft.actor.trim()) next.set("actor", draft.actor.trim());
    setParams(next);
  };
  const allowed = session.admin || !!project; // the server judges a project's maintainers
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Audit log{project ? ` · ${project}` : ""}</Title>
        {session.admin && <VerifyChain />}
      </Group>
      <form aria-label="Filter the audit log" onSubmit={(e) => { e.preventDefault(); apply(); }}>
        <Group align="flex-end">
          <TextInput label="Project" value={draft.project} w={220}
                     onChange={(e) => setDraft({ ...draft, project: e.currentTarget.value })} />
          <TextInput label="Actor" value={draft.actor} w={220}
                     onChange={(e) => setDraft({ ...draft, actor: e.currentTarget.value })} />
          <Button type="submit" variant="default">Filter</Button>
        </Group>
      </form>
      <Text size="xs" c="dimmed">Newest first. Each entry is chained to the one before by its hash: an entry altered, removed or inserted in the database breaks the chain.</Text>
      {allowed
        ? <AuditLog filter={{ project: project || null, actor: actor || null }} />
        : <Empty>The whole audit log is for server admins; a project's maintainers read theirs from its members page.</Empty>}
    </Stack>
  );
}
