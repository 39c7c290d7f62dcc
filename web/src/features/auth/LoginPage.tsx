import { Alert, Button, Center, Divider, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Navigate, useSearchParams } from "react-router-dom";
import { ApiError } from "../../api";
import { accountsApi } from "../../api/accounts";
import { usePageTitle } from "../../components/usePageTitle";
import { loginFailure, redirectError, safeNext } from "../../lib/signIn";
import { signedIn, useSession } from "./session";

const OIDC_START = "/api/v1/auth/oidc/start";

/** The login form (user and password; OpenID Connect when the server offers it).  Signed in,
 *  it goes back to the page that sent the user here. */
export function LoginPage() {
  usePageTitle("Sign in");
  const session = useSession();
  const client = useQueryClient();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const login = useMutation({
    mutationFn: () => accountsApi.login({ user: user.trim(), password }),
    onSuccess: (answer) => signedIn(client, answer),
  });
  if (!session.auth || session.user) return <Navigate to={next} replace />;

  const failure = login.error
    ? login.error instanceof ApiError ? loginFailure(login.error) : String(login.error)
    : login.isIdle ? redirectError(params.get("error")) : null;
  return (
    <Center pt={60}>
      <Paper withBorder p="xl" w={380}>
        <form aria-label="Sign in" data-testid="login-form"
              onSubmit={(e) => { e.preventDefault(); login.mutate(); }}>
          <Stack>
            <Title order={2}>Sign in to LabLedger</Title>
            {failure && <Alert color="red" data-testid="login-error">{failure}</Alert>}
            <TextInput label="User" name="username" autoComplete="username" required withAsterisk={false} autoFocus
                       value={user} onChange={(e) => setUser(e.currentTarget.value)} />
            <PasswordInput label="Password" name="password" autoComplete="current-password" required withAsterisk={false}
                           value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
            <Button type="submit" loading={login.isPending}>Sign in</Button>
            {session.methods.includes("oidc") && (
              <>
                <Divider label="or" />
                <Button component="a" href={OIDC_START} variant="default">Sign in with OpenID Connect</Button>
              </>
            )}
            <Text size="xs" c="dimmed">
              No password yet? An admin can give you a one-time login link
              (<code>labledger users login-link NAME</code>, or the Users page); once in, set your
              password on your Account page.
            </Text>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
