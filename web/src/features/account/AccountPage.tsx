import { Anchor, Badge, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { accountsApi } from "../../api/accounts";
import { Empty, ErrorState, Loading } from "../../components/States";
import { usePageTitle } from "../../components/usePageTitle";
import { formatTime } from "../../lib/format";
import { useSession } from "../auth";
import { PasswordForm } from "./PasswordForm";

/** The signed-in user's own account: who they are, and setting their password (how a user
 *  who came in by a one-time login link signs in later without one) or changing it (with
 *  the current one). */
export function AccountPage() {
  usePageTitle("Your account");
  const session = useSession();
  const name = session.user;
  const account = useQuery({ queryKey: ["user", name], queryFn: () => accountsApi.getUser(name ?? ""), enabled: !!name });
  if (!name) return <Empty>This server runs without sign-in: there is no account to manage.</Empty>;
  return (
    <Stack>
      <Title order={2}>Your account</Title>
      {account.isPending && <Loading what="your account" />}
      {account.isError && <ErrorState error={account.error} />}
      {account.data && (
        <Group gap="lg" data-testid="account">
          <Text size="sm">User <b>{account.data.name}</b></Text>
          {account.data.admin && <Badge size="sm" color="grape">server admin</Badge>}
          {account.data.sso && <Badge size="sm" variant="outline">SSO</Badge>}
          <Text size="sm" c="dimmed">since {formatTime(account.data.created_ms)}</Text>
          <Text size="sm" data-testid="has-password" data-set={account.data.has_password}>
            {account.data.has_password ? "Password set" : "No password yet: set one to sign in without a login link"}
          </Text>
        </Group>
      )}
      {account.data && ( // whether it asks for the current password depends on has_password
        <Paper withBorder p="md">
          <Title order={4} mb="sm">{account.data.has_password ? "Change your password" : "Set a password"}</Title>
          <PasswordForm user={name} self hasPassword={account.data.has_password} />
        </Paper>
      )}
      <Text size="sm">
        API tokens for the SDK, the CLI and scripts: <Anchor component={Link} to="/tokens">Your tokens</Anchor>.
      </Text>
    </Stack>
  );
}
