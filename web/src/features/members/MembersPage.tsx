import { Alert, Anchor, Badge, Button, Group, NativeSelect, Paper, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { ApiError } from "../../api";
import { accountsApi, type MemberRole, type MembersPublic } from "../../api/accounts";
import { describeError, ErrorState, Loading } from "../../components/States";
import { usePageTitle } from "../../components/usePageTitle";
import { formatTime } from "../../lib/format";
import { ROLES } from "../../lib/roles";
import { projectsQuery, usePermissions } from "../auth";

function membersQuery(project: string) {
  return { queryKey: ["members", project], queryFn: () => accountsApi.members(project) };
}

type Change =
  | { kind: "set"; user: string; role: MemberRole }
  | { kind: "remove"; user: string }
  | { kind: "default"; role: "viewer" | "editor" | null };

function apply(project: string, change: Change): Promise<MembersPublic> {
  if (change.kind === "set") return accountsApi.setMember(project, change.user, change.role);
  if (change.kind === "remove") return accountsApi.removeMember(project, change.user);
  return accountsApi.setDefaultRole(project, change.role);
}

/** The server's refusal in words that say what to do. */
function ChangeError({ error }: { error: unknown }) {
  let title = describeError(error).title;
  if (error instanceof ApiError && error.code === "last_owner") title = "A project keeps at least one owner";
  if (error instanceof ApiError && error.code === "user_not_found") title = "No such user";
  if (error instanceof ApiError && error.code === "permission_denied") title = "Not allowed";
  return <Alert color="red" title={title} data-testid="member-error">{describeError(error).message}</Alert>;
}

function AddMember({ onAdd, pending }: { onAdd: (user: string, role: MemberRole) => void; pending: boolean }) {
  const [user, setUser] = useState("");
  const [role, setRole] = useState<MemberRole>("viewer");
  return (
    <form aria-label="Add a member" onSubmit={(e) => { e.preventDefault(); if (user.trim()) onAdd(user.trim(), role); }}>
      <Group align="flex-end">
        <TextInput label="User name" value={user} onChange={(e) => setUser(e.currentTarget.value)} w={240} />
        <NativeSelect label="Role" data={[...ROLES]} value={role}
                      onChange={(e) => setRole(e.currentTarget.value as MemberRole)} />
        <Button type="submit" disabled={!user.trim()} loading={pending}>Add member</Button>
      </Group>
    </form>
  );
}

const DEFAULT_ROLES = [
  { value: "", label: "members only" },
  { value: "viewer", label: "viewer" },
  { value: "editor", label: "editor" },
];

/** A project's members and default role; owners and server admins change them. */
export function MembersPage() {
  const project = useParams().project as string;
  usePageTitle(`Members · ${project}`);
  const may = usePermissions(project);
  const client = useQueryClient();
  const members = useQuery(membersQuery(project));
  const change = useMutation({
    mutationFn: (c: Change) => apply(project, c),
    onSuccess: (answer) => {
      client.setQueryData(membersQuery(project).queryKey, answer);
      // the user's own role may have changed with it (their row, the default role)
      void client.invalidateQueries({ queryKey: projectsQuery.queryKey });
    },
  });
  // the controls wait for the user's role too, so they never pop in after the table
  if (members.isPending || !may.settled) return <Loading what="the members" />;
  if (members.isError) return <ErrorState error={members.error} />;
  const { members: rows, default_role } = members.data;
  const yours = may.unrestricted ? "server admin: every right" : may.role ?? "none";
  return (
    <Stack>
      <Group gap="sm">
        <Anchor component={Link} to={`/projects/${encodeURIComponent(project)}`}>{project}</Anchor>
        <Text c="dimmed">/</Text>
        <Title order={2}>Members</Title>
      </Group>
      <Group gap="lg">
        <Text size="sm" data-testid="your-role">Your role: <b>{yours}</b></Text>
        {may.maintain && (
          <Anchor component={Link} size="sm" to={`/audit?project=${encodeURIComponent(project)}`}>Project audit log</Anchor>
        )}
      </Group>
      {change.isError && <ChangeError error={change.error} />}
      <Paper withBorder>
        <Table data-testid="members-table">
          <Table.Thead>
            <Table.Tr><Table.Th>User</Table.Th><Table.Th>Role</Table.Th><Table.Th>Added</Table.Th>{may.manage && <Table.Th />}</Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((m) => (
              <Table.Tr key={m.user} data-testid="member-row" data-user={m.user}>
                <Table.Td>{m.user} {m.kind === "service" && <Badge size="xs" variant="light">service</Badge>}</Table.Td>
                <Table.Td>
                  {may.manage ? (
                    <NativeSelect aria-label={`Role of ${m.user}`} size="xs" data={[...ROLES]} value={m.role} w={140}
                                  onChange={(e) => change.mutate({ kind: "set", user: m.user, role: e.currentTarget.value as MemberRole })} />
                  ) : m.role}
                </Table.Td>
                <Table.Td>{formatTime(m.added_ms)}</Table.Td>
                {may.manage && (
                  <Table.Td>
                    <Button size="compact-xs" variant="subtle" color="red" aria-label={`Remove ${m.user}`}
                            onClick={() => change.mutate({ kind: "remove", user: m.user })}>Remove</Button>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Paper>
      {may.manage ? (
        <>
          <NativeSelect label="Default role of every signed-in user" data={DEFAULT_ROLES} value={default_role ?? ""} w={320}
                        onChange={(e) => change.mutate({ kind: "default", role: (e.currentTarget.value || null) as "viewer" | "editor" | null })} />
          <AddMember key={rows.length} pending={change.isPending && change.variables?.kind === "set"}
                     onAdd={(user, role) => change.mutate({ kind: "set", user, role })} />
        </>
      ) : (
        <Text size="sm" data-testid="default-role">
          Every signed-in user: <b>{default_role ?? "no role (members only)"}</b>. Owners change members and roles.
        </Text>
      )}
    </Stack>
  );
}
