import { Alert, Button, Group, Text } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { accountsApi } from "../../api/accounts";
import { ErrorState } from "../../components/States";

/** Server admins: walk the whole hash chain of the audit log on the server. */
export function VerifyChain() {
  const verify = useMutation({ mutationFn: accountsApi.verifyAudit });
  const result = verify.data;
  const problem = result?.problem as { kind?: string; seq?: number; message?: string } | null | undefined;
  return (
    <Group gap="sm" align="flex-start">
      <Button size="xs" variant="default" loading={verify.isPending} onClick={() => verify.mutate()}>Verify chain</Button>
      {verify.isError && <ErrorState error={verify.error} />}
      {result?.ok && (
        <Text size="sm" c="teal.8" data-testid="chain-result" data-ok="true" mt={4}>
          ✓ ok: {result.checked} {result.checked === 1 ? "entry" : "entries"} checked, head #{result.head.seq}
        </Text>
      )}
      {result && !result.ok && (
        <Alert color="red" title="✗ the chain does not verify" data-testid="chain-result" data-ok="false">
          {problem?.message ?? JSON.stringify(result.problem)}
          {problem?.seq != null && <Text size="xs" mt={4}>at entry #{problem.seq}{problem.kind ? ` (${problem.kind})` : ""}; {result.checked} checked</Text>}
        </Alert>
      )}
    </Group>
  );
}
