/** The provenance endpoints the environment tab, the compare view and the run header read,
 *  through the generated client, and their TanStack Query options (shared keys, so the tab
 *  and the compare view use one cache entry per run). */
import { unwrap } from "../../../api";
import { Provenance } from "../../../client/sdk.gen";
import type {
  AnnotationPublic, DatasetPublic, EnvironmentPublic, RunCompletenessPublic, VerificationPublic,
} from "../../../client/types.gen";

export type { AnnotationPublic, DatasetPublic, EnvironmentPublic, RunCompletenessPublic, VerificationPublic };

const path = (runId: string) => ({ path: { run_id: runId } });

export const provenanceApi = {
  environment: (runId: string) => unwrap(Provenance.provenanceGetEnvironment(path(runId))),
  datasets: (runId: string) => unwrap(Provenance.provenanceListDatasets(path(runId))).then((d) => d.datasets),
  annotations: (runId: string) => unwrap(Provenance.provenanceListAnnotations(path(runId))).then((d) => d.annotations),
  completeness: (runId: string) => unwrap(Provenance.provenanceRunCompleteness(path(runId))),
  /** Recomputes the record's hash and re-reads every artifact's blob on the server (an action:
   *  its body is {}, sent as JSON). */
  verify: (runId: string) =>
    unwrap(Provenance.provenanceVerifyRun({ ...path(runId), query: { blobs: true }, body: {} })),
};

/** The environment is sent once, early in a run: a running run without one is asked again. */
export function environmentQuery(runId: string, running = false) {
  return {
    queryKey: ["environment", runId],
    queryFn: () => provenanceApi.environment(runId),
    refetchInterval: (q: { state: { data?: EnvironmentPublic } }) =>
      running && !q.state.data?.environment ? 5000 : (false as const),
  };
}
