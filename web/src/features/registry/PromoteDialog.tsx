import { Alert, Button, Group, Modal, Stack, Text, TextInput, Title } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { describeError } from "../../components/States";
import { GateList } from "./GateList";
import { aliasProblem, gateLine, refusedGates } from "./refusal";
import { keys, registryApi, type DecisionPublic } from "./registryApi";

interface Props {
  model: string;
  version: number;
  /** Aliases the model has or has a policy for: offered as quick picks. */
  aliases: string[];
  onClose: () => void;
}

/** Promote a version to an alias: pick one (or type a new one), see what its policy's gates
 *  say now (/check: nothing moves), then Promote (/promote) or Approve (/approvals).  A
 *  refusal (409 gate_failed) lists each failed gate's rule and the server's words. */
export function PromoteDialog({ model, version, aliases, onClose }: Props) {
  const client = useQueryClient();
  const [alias, setAlias] = useState(aliases[0] ?? "");
  const [typed] = useDebouncedValue(alias.trim(), 250);
  const problem = aliasProblem(alias.trim());
  const ready = !problem && typed === alias.trim();
  const check = useQuery({
    queryKey: ["registry", model, "check", typed, version],
    queryFn: () => registryApi.check(model, typed, version),
    enabled: ready,
    staleTime: 0,
  });
  const refresh = () => client.invalidateQueries({ queryKey: keys.all(model) });
  const [done, setDone] = useState<DecisionPublic | null>(null);
  const promote = useMutation({
    mutationFn: () => registryApi.promote(model, alias.trim(), version),
    onSuccess: (decision) => {
      setDone(decision);
      void refresh();
      void client.invalidateQueries({ queryKey: keys.models });
    },
    onError: () => void refresh(), // a refusal is recorded in the history too
  });
  const approve = useMutation({
    mutationFn: () => registryApi.approve(model, alias.trim(), version),
    onSuccess: () => void refresh(),
  });
  const refused = promote.isError ? refusedGates(promote.error) : null;
  const reset = (next: string) => {
    setAlias(next);
    promote.reset();
    approve.reset();
    setDone(null);
  };

  return (
    <Modal opened onClose={onClose} title={`Promote ${model} v${version}`} size="lg">
      <Stack data-testid="promote-dialog">
        <TextInput label="Alias" description="An alias the model has, or a new one" value={alias}
                   onChange={(e) => reset(e.currentTarget.value)} error={alias && problem} data-autofocus />
        {aliases.length > 0 && (
          <Group gap={6} aria-label="Existing aliases" role="group">
            <Text size="xs" c="dimmed">Existing:</Text>
            {aliases.map((a) => (
              <Button key={a} size="compact-xs" variant={a === alias ? "filled" : "light"} onClick={() => reset(a)}>{a}</Button>
            ))}
          </Group>
        )}
        <section aria-labelledby="promote-check">
          <Title order={4} id="promote-check" mb={4}>What the policy says now</Title>
          {problem && <Text size="sm" c="dimmed">Name an alias to check its policy.</Text>}
          {!problem && (check.isFetching || !ready) && !check.data && <Text size="sm" c="dimmed">Checking…</Text>}
          {!problem && check.isError && <Text size="sm" c="red">{describeError(check.error).message}</Text>}
          {!problem && check.data && check.data.alias === alias.trim() && (
            <Stack gap={4} data-testid="check-result" data-ok={check.data.gates.every((g) => g.passed)}>
              {check.data.from_version === version ? (
                <Text size="sm">{check.data.alias} already points at v{version}.</Text>
              ) : (
                <Text size="sm">
                  {check.data.alias} points at {check.data.from_version ? `v${check.data.from_version}` : "nothing"} now.
                </Text>
              )}
              <GateList gates={check.data.gates} testId="check-gates" />
            </Stack>
          )}
        </section>
        {refused && (
          <Alert color="red" title={`Refused: ${alias.trim()} stays where it was`} data-testid="refusal">
            <Stack gap={2}>
              {refused.map((g, i) => <Text key={i} size="sm" data-testid="refused-gate">{gateLine(g)}</Text>)}
              <Text size="xs" c="dimmed">The refusal is recorded in the alias history.</Text>
            </Stack>
          </Alert>
        )}
        {promote.isError && !refused && <Alert color="red" title={describeError(promote.error).title}>{describeError(promote.error).message}</Alert>}
        {approve.isError && <Alert color="red" title="Not approved">{describeError(approve.error).message}</Alert>}
        {approve.isSuccess && <Alert color="green" data-testid="approved">Approved v{version} for {alias.trim()}.</Alert>}
        {done && (
          <Alert color="green" title="Promoted" data-testid="promoted">
            {done.moved
              ? `${done.alias} → v${done.version} (was ${done.from_version ? `v${done.from_version}` : "nothing"})`
              : `${done.alias} already pointed at v${done.version}`}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>{done ? "Close" : "Cancel"}</Button>
          <Button variant="light" disabled={!!problem} loading={approve.isPending} onClick={() => approve.mutate()}>Approve</Button>
          <Button disabled={!!problem || !!done} loading={promote.isPending} onClick={() => promote.mutate()}>Promote</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
