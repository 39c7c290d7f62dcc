/** The typed API used by the UI: the generated client, unwrapped into data or ApiError. */
import { client } from "../client/client.gen";
import { Artifacts, Projects, Provenance, Runs } from "../client/sdk.gen";
import type {
  ArtifactPublic,
  MetricHistoryPublic,
  ProjectKeysPublic,
  ProjectPublic,
  RunGroupPublic,
  RunPublic,
  RunsPublic,
} from "../client/types.gen";
import { rawFetch } from "./credentials"; // also installs the CSRF and 401 interceptors

export type { ArtifactPublic, MetricHistoryPublic, ProjectKeysPublic, ProjectPublic, RunGroupPublic, RunPublic, RunsPublic };

client.setConfig({ baseUrl: typeof window === "undefined" ? "" : window.location.origin });

export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

interface Result<T> {
  data?: T;
  error?: unknown;
  response?: Response;
}

/** The generated client's result as data, or the server's error as an ApiError. */
export async function unwrap<T>(promise: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await promise;
  } catch (err) {
    throw new ApiError(0, "unavailable", `The LabLedger server cannot be reached (${String(err)}).`);
  }
  if (result.error !== undefined || !result.response?.ok) {
    const body = (result.error ?? {}) as { error_code?: string; message?: string; details?: Record<string, unknown> };
    const status = result.response?.status ?? 0;
    throw new ApiError(status, body.error_code ?? "http_error", body.message ?? `HTTP ${status}`, body.details ?? {});
  }
  return result.data as T;
}

export const api = {
  listProjects: () => unwrap(Projects.projectsListProjects()).then((d) => d.projects),
  projectKeys: (project: string) => unwrap(Projects.projectsListProjectKeys({ path: { project } })),
  searchRuns: (body: {
    project: string;
    filter?: string | null;
    order_by?: string[];
    limit?: number;
    page_token?: string | null;
    include_total?: boolean;
  }) => unwrap(Runs.runsSearchRuns({ body })),
  /** Resolves to null when valid, else the ApiError the search would have raised. */
  checkFilter: (filter: string, orderBy: string[] = []) =>
    unwrap(Runs.runsValidateFilter({ body: { filter: filter || null, order_by: orderBy } })).then((d) =>
      d.valid || !d.error
        ? null
        : new ApiError(400, d.error.error_code, d.error.message, d.error.details as Record<string, unknown>),
    ),
  countRuns: (project: string, filter: string) =>
    unwrap(Runs.runsCountRuns({ body: { project, filter: filter || null } })).then((d) => d.total),
  groupRuns: (body: { project: string; group_by: string; filter?: string | null }) =>
    unwrap(Runs.runsGroupRuns({ body })).then((d) => d.groups),
  getRun: (runId: string) => unwrap(Runs.runsGetRun({ path: { run_id: runId } })),
  updateRun: (runId: string, body: { notes?: string; name?: string }) =>
    unwrap(Runs.runsUpdateRun({ path: { run_id: runId }, body })),
  /** Deletes the run (a sealed run needs a reason, kept in its tombstone). */
  deleteRun: (runId: string, reason: string | null) =>
    unwrap(Runs.runsDeleteRun({ path: { run_id: runId }, query: reason ? { reason } : undefined })),
  sealRun: (runId: string) => unwrap(Provenance.provenanceSealRun({ path: { run_id: runId }, body: {} })),
  metricKeys: (runId: string) =>
    unwrap(Runs.runsListMetricKeys({ path: { run_id: runId } })).then((d) => d.keys),
  history: (runId: string, key: string, query: { max_points?: number; start_step?: number; end_step?: number }) =>
    unwrap(Runs.runsGetMetricHistory({ path: { run_id: runId, key }, query })),
  /** Every manifest entry of the run (under ``path``), sorted by path. */
  listArtifacts: (runId: string, path = "") =>
    unwrap(Artifacts.artifactsListArtifacts({ path: { run_id: runId }, query: path ? { path } : undefined })).then(
      (d) => d.artifacts,
    ),
  /** The first ``maxBytes`` of a file, by one Range request on the same URL the page links
   *  to (the generated client would escape the path's "/" as %2F and parse JSON bodies). */
  artifactHead: async (url: string, maxBytes: number): Promise<Uint8Array> => {
    let response: Response;
    try {
      response = await rawFetch(url, { headers: { Range: `bytes=0-${maxBytes - 1}` } });
    } catch (err) {
      throw new ApiError(0, "unavailable", `The LabLedger server cannot be reached (${String(err)}).`);
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error_code?: string; message?: string };
      throw new ApiError(response.status, body.error_code ?? "http_error", body.message ?? `HTTP ${response.status}`);
    }
    return new Uint8Array(await response.arrayBuffer());
  },
};
