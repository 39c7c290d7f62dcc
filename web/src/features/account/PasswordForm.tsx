import { Alert, Button, Group, PasswordInput, Stack } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ApiError } from "../../api";
import { accountsApi } from "../../api/accounts";
import { MIN_PASSWORD, passwordProblem, passwordRefusal } from "../../lib/signIn";

/** Sets a user's password: your own (the Account page) or, for a server admin, anyone's
 *  (the Users page).  Too short or mistyped passwords are caught before the request; the
 *  server's refusal is shown in its words. */
export function PasswordForm({ user, self }: { user: string; self: boolean }) {
  const client = useQueryClient();
  const [password, setPassword] = useState("");
  const [repeated, setRepeated] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: () => accountsApi.setPassword(user, password),
    onSuccess: () => {
      setPassword("");
      setRepeated("");
      void client.invalidateQueries({ queryKey: ["user", user] });
      void client.invalidateQueries({ queryKey: ["users"] });
    },
  });
  const submit = () => {
    const found = passwordProblem(password, repeated);
    setProblem(found);
    if (found) save.reset();
    else save.mutate();
  };
  const refusal = save.error instanceof ApiError ? passwordRefusal(save.error) : save.error ? String(save.error) : null;
  const failure = problem ?? refusal;
  return (
    <form aria-label={self ? "Set your password" : `Set the password of ${user}`} data-testid="password-form"
          onSubmit={(e) => { e.preventDefault(); submit(); }}>
      <Stack gap="sm" maw={360}>
        {/* for password managers: whose password this is */}
        <input type="text" name="username" autoComplete="username" value={user} readOnly hidden />
        <PasswordInput label="New password" autoComplete="new-password" description={`At least ${MIN_PASSWORD} characters`}
                       value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
        <PasswordInput label="Repeat the new password" autoComplete="new-password"
                       value={repeated} onChange={(e) => setRepeated(e.currentTarget.value)} />
        {failure && <Alert color="red" title="Password not set" data-testid="password-error">{failure}</Alert>}
        {save.isSuccess && !failure && (
          <Alert color="teal" title="Password set" data-testid="password-set">
            {self ? `Sign in as ${user} with it from now on.` : `${user} can sign in with it from now on.`}
          </Alert>
        )}
        <Group>
          <Button type="submit" loading={save.isPending}>Set password</Button>
        </Group>
      </Stack>
    </form>
  );
}
