import { Alert, Badge, Button, Checkbox, Code, CopyButton, Group, Modal, Paper, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { accountsApi, type UserPublic } from "../../api/accounts";
import { Empty, ErrorState, Loading } from "../../components/States";
import { usePageTitle } from "../../components/usePageTitle";
import { formatTime } from "../../lib/format";
import { PasswordForm } from "../account";
import { useSession } from "../auth";

const USERS_KEY = ["users"];

function AddUser() {
  const client = useQueryClient();
  const [name, setName] = useState("");
  const [admin, setAdmin] = useState(false);
  const [service, setService] = useState(false);
  const add = useMutation({
    mutationFn: () => accountsApi.addUser({ name: name.trim(), admin, service }),
    onSuccess: () => {
      setName("");
      void client.invalidateQueries({ queryKey: USERS_KEY });
    },
  });
  return (
    <form aria-label="Add a user" onSubmit={(e) => { e.preventDefault(); if (name.trim()) add.mutate(); }}>
      <Stack gap="xs">
        <Group align="flex-end">
          <TextInput label="New user name" value={name} onChange={(e) => setName(e.currentTarget.value)} w={240} />
          <Checkbox label="server admin" checked={admin} onChange={(e) => setAdmin(e.currentTarget.checked)} mb={8} />
          <Checkbox label="service account" checked={service} onChange={(e) => setService(e.currentTarget.checked)} mb={8} />
          <Button type="submit" disabled={!name.trim()} loading={add.isPending}>Add user</Button>
        </Group>
        {add.isError && <ErrorState error={add.error} />}
      </Stack>
    </form>
  );
}

/** A one-time link that signs the user in (how a new user without a password gets in). */
function LoginLink({ url, user, onClose }: { url: string; user: string; onClose: () => void }) {
  return (
    <Alert color="blue" title={`One-time login link for ${user}`} withCloseButton onClose={onClose} data-testid="login-link">
      <Text size="sm" mb={4}>It opens a session once; send it privately. It is not shown again.</Text>
      <Group gap="xs" wrap="nowrap">
        <Code style={{ wordBreak: "break-all" }}>{url}</Code>
        <CopyButton value={url}>
          {({ copied, copy }) => <Button size="compact-xs" variant="light" onClick={copy}>{copied ? "copied" : "Copy link"}</Button>}
        </CopyButton>
      </Group>
    </Alert>
  );
}

function UserRow({ user, self, onLink }: { user: UserPublic; self: boolean; onLink: (url: string) => void }) {
  const client = useQueryClient();
  const toggle = useMutation({
    mutationFn: () => (user.disabled ? accountsApi.enableUser(user.name) : accountsApi.disableUser(user.name)),
    onSuccess: () => client.invalidateQueries({ queryKey: USERS_KEY }),
  });
  const link = useMutation({ mutationFn: () => accountsApi.loginLink(user.name), onSuccess: onLink });
  const [settingPassword, setSettingPassword] = useState(false);
  const failed = toggle.error ?? link.error;
  return (
    <Table.Tr data-testid="user-row" data-user={user.name} data-disabled={user.disabled}>
      <Table.Td>{user.name}</Table.Td>
      <Table.Td>
        <Group gap={4}>
          {user.kind === "service" && <Badge size="xs" variant="light">service</Badge>}
          {user.admin && <Badge size="xs" color="grape">admin</Badge>}
          {user.sso && <Badge size="xs" variant="outline">SSO</Badge>}
        </Group>
      </Table.Td>
      <Table.Td>{user.disabled ? <Badge color="red" size="sm">disabled</Badge> : "active"}</Table.Td>
      <Table.Td>{user.has_password ? "yes" : "no"}</Table.Td>
      <Table.Td>{formatTime(user.created_ms)}</Table.Td>
      <Table.Td>
        <Group gap="xs" wrap="nowrap">
          {!self && ( // disabling yourself would end this session at once
            <Button size="compact-xs" variant="default" loading={toggle.isPending} onClick={() => toggle.mutate()}
                    aria-label={`${user.disabled ? "Enable" : "Disable"} ${user.name}`}>
              {user.disabled ? "Enable" : "Disable"}
            </Button>
          )}
          {!user.disabled && user.kind !== "service" && (
            <Button size="compact-xs" variant="subtle" loading={link.isPending} onClick={() => link.mutate()}
                    aria-label={`Login link for ${user.name}`}>Login link</Button>
          )}
          {user.kind !== "service" && ( // service accounts use tokens
            <Button size="compact-xs" variant="subtle" onClick={() => setSettingPassword(true)}
                    aria-label={`Set password for ${user.name}`}>Set password</Button>
          )}
          {failed && <Text size="xs" c="red">{(failed as Error).message}</Text>}
          {settingPassword && (
            <Modal opened onClose={() => setSettingPassword(false)} title={`Set the password of ${user.name}`}
                   closeButtonProps={{ "aria-label": "Close" }}>
              <PasswordForm user={user.name} self={self} hasPassword={user.has_password} />
            </Modal>
          )}
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

/** Server admins: every user, adding one, disabling and enabling, login links, passwords. */
export function UsersPage() {
  usePageTitle("Users");
  const session = useSession();
  const users = useQuery({ queryKey: USERS_KEY, queryFn: accountsApi.listUsers, enabled: session.admin });
  const [link, setLink] = useState<{ user: string; url: string } | null>(null);
  if (!session.admin) return <Empty>Users are managed by server admins.</Empty>;
  return (
    <Stack>
      <Title order={2}>Users</Title>
      <AddUser />
      {link && <LoginLink {...link} onClose={() => setLink(null)} />}
      {users.isPending && <Loading what="users" />}
      {users.isError && <ErrorState error={users.error} />}
      {users.data && (
        <Paper withBorder>
          <Table data-testid="users-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>User</Table.Th><Table.Th>Kind</Table.Th><Table.Th>Status</Table.Th>
                <Table.Th>Password</Table.Th><Table.Th>Created</Table.Th><Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {users.data.map((u) => <UserRow key={u.name} user={u} self={u.name === session.user} onLink={(url) => setLink({ user: u.name, url })} />)}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
    </Stack>
  );
}
