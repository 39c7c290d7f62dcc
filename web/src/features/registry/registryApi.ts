/** The model registry's calls through the generated client (the CSRF header and the 401
 *  signal come from api/credentials), unwrapped into data or ApiError, and the query keys
 *  the registry pages share. */
import { unwrap } from "../../api";
import { Aliases, Deployments, Lineage, Models } from "../../client/sdk.gen";
import type {
  AlertPublic,
  AliasEventPublic,
  ApprovalPublic,
  DecisionPublic,
  DeploymentPublic,
  DriftPointPublic,
  GatePublic,
  LineagePublic,
  ModelPublic,
  PolicyPublic,
  VersionPublic,
} from "../../client/types.gen";

export type {
  AlertPublic,
  AliasEventPublic,
  ApprovalPublic,
  DecisionPublic,
  DeploymentPublic,
  DriftPointPublic,
  GatePublic,
  LineagePublic,
  ModelPublic,
  PolicyPublic,
  VersionPublic,
};

const model = (name: string) => ({ path: { model: name } });
const alias = (name: string, a: string) => ({ path: { model: name, alias: a } });

export const registryApi = {
  listModels: () => unwrap(Models.modelsListModels({ query: { limit: 1000 } })).then((d) => d.models),
  getModel: (name: string) => unwrap(Models.modelsGetModel(model(name))),
  versions: (name: string) => unwrap(Models.modelsListVersions(model(name))).then((d) => d.versions),
  /** Versions of every model matching a filter in the search language. */
  search: (filter: string, limit = 100) =>
    unwrap(Models.modelsSearchVersions({ body: { filter: filter || null, limit } })).then((d) => d.versions),

  policies: (name: string) => unwrap(Aliases.aliasesListPolicies(model(name))).then((d) => d.policies),
  history: (name: string) => unwrap(Aliases.aliasesHistory({ ...model(name), query: { limit: 200 } })).then((d) => d.events),
  approvals: (name: string, a: string) =>
    unwrap(Aliases.aliasesListApprovals(alias(name, a))).then((d) => d.approvals),
  /** What promoting would decide now; nothing moves and nothing is recorded. */
  check: (name: string, a: string, version: number) =>
    unwrap(Aliases.aliasesCheckPromotion({ ...alias(name, a), body: { version } })),
  /** Moves the alias, or throws ApiError 409 gate_failed (details.failed: the failed gates). */
  promote: (name: string, a: string, version: number) =>
    unwrap(Aliases.aliasesPromote({ ...alias(name, a), body: { version } })),
  approve: (name: string, a: string, version: number) =>
    unwrap(Aliases.aliasesApprove({ ...alias(name, a), body: { version } })),
  rollback: (name: string, a: string) => unwrap(Aliases.aliasesRollback({ ...alias(name, a), body: {} })),

  environments: (name: string) =>
    unwrap(Deployments.deploymentsEnvironments(model(name))).then((d) => d.deployments),
  /** Deployments recorded, newest first. */
  deployments: (name: string) =>
    unwrap(Deployments.deploymentsDeploymentHistory({ ...model(name), query: { limit: 1000 } })).then((d) => d.deployments),
  drift: (name: string, env: string) =>
    unwrap(Deployments.deploymentsDriftPoints({ path: { model: name, env } })).then((d) => d.points),
  alerts: (name: string) => unwrap(Deployments.deploymentsDriftAlerts({ ...model(name), query: { limit: 50 } })).then((d) => d.alerts),

  lineage: (node: string, depth: number) => unwrap(Lineage.lineageLineage({ query: { node, depth } })),
};

/** Query keys: everything of one model starts with ["registry", name] so a decision can
 *  refresh the whole page at once. */
export const keys = {
  models: ["registry", "models"] as const,
  search: (filter: string) => ["registry-search", filter] as const,
  model: (name: string) => ["registry", name, "model"] as const,
  all: (name: string) => ["registry", name] as const,
  versions: (name: string) => ["registry", name, "versions"] as const,
  policies: (name: string) => ["registry", name, "policies"] as const,
  history: (name: string) => ["registry", name, "history"] as const,
  approvals: (name: string, a: string) => ["registry", name, "approvals", a] as const,
  environments: (name: string) => ["registry", name, "environments"] as const,
  deployments: (name: string) => ["registry", name, "deployments"] as const,
  drift: (name: string, env: string) => ["registry", name, "drift", env] as const,
  alerts: (name: string) => ["registry", name, "alerts"] as const,
  lineage: (node: string, depth: number) => ["lineage", node, depth] as const,
};

/** Links inside the UI. */
export const paths = {
  model: (name: string) => `/models/${encodeURIComponent(name)}`,
  run: (id: string) => `/runs/${encodeURIComponent(id)}`,
  lineage: (node: string) => `/lineage?node=${encodeURIComponent(node)}`,
  versionNode: (name: string, version: number) => `version:${name}/${version}`,
  deploymentNode: (id: number) => `deployment:${id}`,
};
