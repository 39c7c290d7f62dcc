import { Code, SimpleGrid, Stack, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import type { RunPublic } from "../../../api";
import { Empty, ErrorState, Loading } from "../../../components/States";
import { CodeSection } from "./CodeSection";
import { DatasetsSection } from "./DatasetsSection";
import { environmentQuery } from "./environmentApi";
import { CiSection, ContainerSection, PythonSection, SystemSection } from "./FactSections";
import { captureSummary, type EnvironmentDoc } from "./model";
import { PackagesSection } from "./PackagesSection";
import { ProcessSection } from "./ProcessSection";
import { SealSection } from "./SealSection";

function Captured({ env, digest }: { env: EnvironmentDoc | null; digest: string | null }) {
  const timings = captureSummary(env);
  return (
    <Text size="xs" c="dimmed" data-testid="env-digest">
      {digest && <>Environment document <Code>{digest.slice(0, 12)}</Code> (SHA-256 of its canonical JSON). </>}
      {timings && <>Time <Code>ll.init()</Code> spent capturing each part: {timings}.</>}
    </Text>
  );
}

/** What the run came from: its seal, code, data, packages, interpreter, machine, container,
 *  CI job and process, as ``ll.init()`` captured them (docs/provenance.md). */
export function EnvironmentTab({ run }: { run: RunPublic }) {
  const running = run.status === "running";
  const env = useQuery(environmentQuery(run.id, running));
  const doc = env.data?.environment ?? null;
  let code;
  if (env.isPending) code = <Loading what="the environment" />;
  else if (env.isError) code = <ErrorState error={env.error} />;
  else if (!doc) {
    code = (
      <Empty>
        No environment captured{running ? " yet" : ""}: the run was logged with <code>LABLEDGER_CAPTURE=none</code>, by an
        SDK without capture, or through the REST API.
      </Empty>
    );
  } else code = <CodeSection runId={run.id} env={doc} />;
  return (
    <Stack gap="md" data-testid="environment-tab">
      <SealSection run={run} />
      {code}
      <DatasetsSection runId={run.id} running={running} />
      {doc && (
        <>
          <PackagesSection env={doc} />
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <PythonSection env={doc} />
            <SystemSection env={doc} />
            <ContainerSection env={doc} />
            <CiSection env={doc} />
          </SimpleGrid>
          <ProcessSection env={doc} />
          <Captured env={doc} digest={env.data?.digest ?? null} />
        </>
      )}
    </Stack>
  );
}
