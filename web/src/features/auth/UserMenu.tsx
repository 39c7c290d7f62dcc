import { Anchor, Button, Group, Text } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate } from "react-router-dom";
import { accountsApi } from "../../api/accounts";
import { signedOut, useSession } from "./session";

/** The header's links for a signed-in user: the admin pages (server admins), their tokens,
 *  their account (the password), who they are, and signing out.  Nothing on a server with
 *  auth off. */
export function UserMenu() {
  const session = useSession();
  const client = useQueryClient();
  const navigate = useNavigate();
  const logout = useMutation({
    mutationFn: accountsApi.logout,
    // refused (the session had already ended) or not, the user is signed out here
    onSettled: () => {
      navigate("/login", { replace: true });
      signedOut(client);
    },
  });
  if (!session.auth || !session.user) return null;
  return (
    <Group gap="md" wrap="nowrap" data-testid="user-menu">
      {session.admin && (
        <>
          <Anchor component={Link} to="/users" size="sm">Users</Anchor>
          <Anchor component={Link} to="/audit" size="sm">Audit log</Anchor>
        </>
      )}
      <Anchor component={Link} to="/tokens" size="sm">Tokens</Anchor>
      <Anchor component={Link} to="/account" size="sm">Account</Anchor>
      <Text size="sm" data-testid="signed-in-as">
        signed in as <b>{session.user}</b>{session.admin ? " (admin)" : ""}
      </Text>
      <Button size="compact-sm" variant="default" loading={logout.isPending} onClick={() => logout.mutate()}>
        Sign out
      </Button>
    </Group>
  );
}
