import { Alert, Badge, Button, Code, CopyButton, Group, NativeSelect, Paper, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { accountsApi, type NewTokenPublic, type TokenPublic, type TokenScope } from "../../api/accounts";
import { Empty, ErrorState, Loading } from "../../components/States";
import { usePageTitle } from "../../components/usePageTitle";
import { formatTime } from "../../lib/format";
import { useSession } from "../auth";

const EXPIRIES = [
  { value: "30d", label: "30 days" },
  { value: "90d", label: "90 days" },
  { value: "365d", label: "1 year" },
  { value: "never", label: "never" },
];

function tokenState(t: TokenPublic, now = Date.now()): "revoked" | "expired" | "active" {
  if (t.revoked_ms != null) return "revoked";
  if (t.expires_ms != null && t.expires_ms <= now) return "expired";
  return "active";
}

function CreateToken({ user, admin, onCreated }: { user: string; admin: boolean; onCreated: (t: NewTokenPublic) => void }) {
  const client = useQueryClient();
  const [label, setLabel] = useState("");
  const [scope, setScope] = useState<TokenScope>("write");
  const [expiry, setExpiry] = useState("90d");
  const create = useMutation({
    mutationFn: () => accountsApi.createToken(user, {
      scope, expires_in: expiry === "never" ? null : expiry, label: label.trim() || null,
    }),
    onSuccess: (token) => {
      setLabel("");
      onCreated(token);
      void client.invalidateQueries({ queryKey: ["tokens", user] });
    },
  });
  // a token's scope is never wider than its creator's: admin scope is for server admins
  const scopes = admin ? ["read", "write", "admin"] : ["read", "write"];
  return (
    <form aria-label="Create a token" onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
      <Stack gap="xs">
        <Group align="flex-end">
          <TextInput label="Label" placeholder="what it is for, e.g. laptop" value={label} w={260}
                     onChange={(e) => setLabel(e.currentTarget.value)} />
          <NativeSelect label="Scope" data={scopes} value={scope} onChange={(e) => setScope(e.currentTarget.value as TokenScope)} />
          <NativeSelect label="Expires after" data={EXPIRIES} value={expiry} onChange={(e) => setExpiry(e.currentTarget.value)} />
          <Button type="submit" loading={create.isPending}>Create token</Button>
        </Group>
        {create.isError && <ErrorState error={create.error} />}
      </Stack>
    </form>
  );
}

function NewToken({ token, onClose }: { token: NewTokenPublic; onClose: () => void }) {
  return (
    <Alert color="teal" title="New token: copy it now, it is not shown again" withCloseButton onClose={onClose}
           closeButtonLabel="Dismiss" data-testid="new-token">
      <Group gap="xs" wrap="nowrap">
        <Code data-testid="token-secret" style={{ wordBreak: "break-all" }}>{token.token}</Code>
        <CopyButton value={token.token}>
          {({ copied, copy }) => <Button size="compact-xs" variant="light" onClick={copy}>{copied ? "copied" : "Copy token"}</Button>}
        </CopyButton>
      </Group>
      <Text size="xs" mt={4}>Use it as <Code>LABLEDGER_TOKEN</Code>, with <Code>labledger login URL --token-stdin</Code>, or as <Code>Authorization: Bearer …</Code>.</Text>
    </Alert>
  );
}

function TokenRow({ token }: { token: TokenPublic }) {
  const client = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => accountsApi.revokeToken(token.id),
    onSuccess: () => client.invalidateQueries({ queryKey: ["tokens", token.user] }),
  });
  const state = tokenState(token);
  return (
    <Table.Tr data-testid="token-row" data-state={state} data-label={token.label ?? ""}>
      <Table.Td>{token.label ?? <Text span c="dimmed" inherit>(no label)</Text>}</Table.Td>
      <Table.Td><Code>{token.id}</Code></Table.Td>
      <Table.Td>{token.scope}</Table.Td>
      <Table.Td>{formatTime(token.created_ms)}</Table.Td>
      <Table.Td>{token.expires_ms ? formatTime(token.expires_ms) : "never"}</Table.Td>
      <Table.Td>{token.last_used_ms ? formatTime(token.last_used_ms) : "never"}</Table.Td>
      <Table.Td>{state === "active" ? "active" : <Badge size="sm" color="gray">{state}</Badge>}</Table.Td>
      <Table.Td>
        {state === "active" && (
          <Button size="compact-xs" variant="subtle" color="red" loading={revoke.isPending}
                  aria-label={`Revoke ${token.label ?? token.id}`} onClick={() => revoke.mutate()}>Revoke</Button>
        )}
        {revoke.isError && <Text size="xs" c="red">{(revoke.error as Error).message}</Text>}
      </Table.Td>
    </Table.Tr>
  );
}

/** The signed-in user's API tokens: list, create (the secret shown once), revoke. */
export function TokensPage() {
  usePageTitle("Your tokens");
  const session = useSession();
  const user = session.user;
  const tokens = useQuery({ queryKey: ["tokens", user], queryFn: () => accountsApi.listTokens(user ?? ""), enabled: !!user });
  const [created, setCreated] = useState<NewTokenPublic | null>(null);
  if (!user) return <Empty>This server runs without sign-in: it needs no tokens.</Empty>;
  return (
    <Stack>
      <Title order={2}>Your tokens</Title>
      <Text size="sm" c="dimmed">API tokens let the SDK, the CLI and scripts act as {user}.</Text>
      <CreateToken user={user} admin={session.admin} onCreated={setCreated} />
      {created && <NewToken token={created} onClose={() => setCreated(null)} />}
      {tokens.isPending && <Loading what="your tokens" />}
      {tokens.isError && <ErrorState error={tokens.error} />}
      {tokens.data && tokens.data.length === 0 && <Empty>No tokens yet.</Empty>}
      {tokens.data && tokens.data.length > 0 && (
        <Paper withBorder>
          <Table data-testid="tokens-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Label</Table.Th><Table.Th>Id</Table.Th><Table.Th>Scope</Table.Th><Table.Th>Created</Table.Th>
                <Table.Th>Expires</Table.Th><Table.Th>Last used</Table.Th><Table.Th>Status</Table.Th><Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>{tokens.data.map((t) => <TokenRow key={t.id} token={t} />)}</Table.Tbody>
          </Table>
        </Paper>
      )}
    </Stack>
  );
}
