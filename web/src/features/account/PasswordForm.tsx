import { Alert, Button, Group, PasswordInput, Stack } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ApiError } from "../../api";
import { accountsApi } from "../../api/accounts";
import { asksCurrentPassword, MIN_PASSWORD, passwordProblem, passwordRefusal, passwordSet } from "../../lib/signIn";

/** Sets a user's password: your own (the Account page) or, for a server admin, anyone's
 *  (the Users page).  Changing your own once you have one asks for the current password
 *  too (an admin setting another's does not).  Too short or mistyped passwords, and a
 *  missing current one, are caught before the request; the server's refusal is shown in
 *  words.  A set password ends the user's other sessions and login links, and says so. */
export function PasswordForm({ user, self, hasPassword }: { user: string; self: boolean; hasPassword: boolean }) {
  const client = useQueryClient();
  const askCurrent = asksCurrentPassword(self, hasPassword);
  const [current, setCurrent] = useState("");
  const [password, setPassword] = useState("");
  const [repeated, setRepeated] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: () => accountsApi.setPassword(user, password, askCurrent ? current : null),
    onSuccess: () => {
      setCurrent("");
      setPassword("");
      setRepeated("");
      void client.invalidateQueries({ queryKey: ["user", user] });
      void client.invalidateQueries({ queryKey: ["users"] });
    },
  });
  const submit = () => {
    const found = passwordProblem(password, repeated, askCurrent ? current : null);
    setProblem(found);
    if (found) save.reset();
    else save.mutate();
  };
  const refusal = save.error instanceof ApiError ? passwordRefusal(save.error) : save.error ? String(save.error) : null;
  const failure = problem ?? refusal;
  return (
    <form aria-label={self ? "Set your password" : `Set the password of ${user}`} data-testid="password-form"
          data-asks-current={askCurrent} onSubmit={(e) => { e.preventDefault(); submit(); }}>
      <Stack gap="sm" maw={360}>
        {/* for password managers: whose password this is */}
        <input type="text" name="username" autoComplete="username" value={user} readOnly hidden />
        {askCurrent && (
          <PasswordInput label="Current password" autoComplete="current-password" withAsterisk aria-required
                         value={current} onChange={(e) => setCurrent(e.currentTarget.value)} />
        )}
        <PasswordInput label="New password" autoComplete="new-password" description={`At least ${MIN_PASSWORD} characters`}
                       value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
        <PasswordInput label="Repeat the new password" autoComplete="new-password"
                       value={repeated} onChange={(e) => setRepeated(e.currentTarget.value)} />
        {failure && <Alert color="red" title="Password not set" data-testid="password-error">{failure}</Alert>}
        {save.isSuccess && !failure && (
          <Alert color="teal" title="Password set" data-testid="password-set">{passwordSet(user, self)}</Alert>
        )}
        <Group>
          <Button type="submit" loading={save.isPending}>Set password</Button>
        </Group>
      </Stack>
    </form>
  );
}
