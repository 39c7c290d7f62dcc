"""Wire models of the model registry: models, versions, aliases and policies, deployments,
references and drift, lineage and webhooks."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from labledger.core import drift, limits, registry, registry_query
from labledger.server.schemas.common import (
    ARTIFACT_PATH,
    PAGE_TOKEN,
    Key,
    PageSize,
    ProjectName,
    Rule,
    RunId,
    Strict,
    StrictInt,
    Tags,
    WireFloat,
    anchored,
    text,
)

MODEL = anchored(registry._NAME_RE)
ENV = anchored(registry._NAME_RE)
# core.registry.check_alias: a name, and not 'latest' or 'v<number>' (they name versions)
ALIAS = r"^(?![Ll][Aa][Tt][Ee][Ss][Tt]$)(?![vV][0-9]+$)[A-Za-z_][A-Za-z0-9_-]*$"
ModelName = Annotated[
    str, Rule({"minLength": 1, "maxLength": registry.MAX_MODEL_NAME, "pattern": MODEL})
]
Description = Annotated[str, text(registry.MAX_DESCRIPTION, empty=True)]
VersionNumber = Annotated[StrictInt, Rule({"minimum": 1, "maximum": registry.MAX_VERSION})]
EnvName = Annotated[str, Rule({"minLength": 1, "maxLength": registry.MAX_ENV, "pattern": ENV})]


class ModelIn(Strict):
    name: ModelName
    project: ProjectName
    description: Description = ""
    tags: Tags = Field(default_factory=dict)


class ModelPatch(Strict):
    description: Description


class TagsIn(Strict):
    tags: Tags


class ModelPublic(BaseModel):
    name: str
    project: str
    description: str
    tags: dict[str, str]
    aliases: dict[str, int] = Field(description="Alias -> the version it points at.")
    latest_version: int | None
    versions: int
    created_ms: int
    updated_ms: int
    created_by: str


class ModelsPublic(BaseModel):
    models: list[ModelPublic]
    next_page_token: str | None = Field(description="Pass as ?page_token= for the next page.")


class VersionIn(Strict):
    run_id: RunId
    path: Annotated[
        str,
        Rule({"minLength": 1, "maxLength": limits.MAX_ARTIFACT_PATH, "pattern": ARTIFACT_PATH}),
    ] = Field(description="An artifact path of the run: one file, or a folder (all its files).")
    description: Description = ""
    tags: Tags = Field(default_factory=dict)


class VersionFilePublic(BaseModel):
    path: str
    digest: str
    size: int


class VersionPublic(BaseModel):
    model: str
    project: str
    version: int
    run_id: str
    path: str
    digest: str = Field(description="SHA-256 over the files' paths, digests and sizes.")
    description: str
    tags: dict[str, str]
    aliases: list[str]
    created_ms: int
    created_by: str
    files: list[VersionFilePublic]
    run_name: str | None
    run_status: str | None
    metrics: dict[str, WireFloat] = Field(description="The source run's latest metrics.")


class VersionsPublic(BaseModel):
    versions: list[VersionPublic]
    next_page_token: str | None = None


# core.registry_query.parse_registry_order: '<field> [asc|desc]', any case
ORDER_ITEM = anchored(registry_query.ORDER_ITEM_RE)
RegistryFilter = Annotated[
    str,
    Rule({"maxLength": limits.MAX_QUERY_LENGTH}),
    Field(
        description="Search language over versions, see docs/registry.md.",
        examples=["run.metrics.acc > 0.9 and alias = 'champion'"],
    ),
]
OrderItem = Annotated[
    str, Rule({"maxLength": registry_query.MAX_ORDER_ITEM, "pattern": ORDER_ITEM})
]


class VersionSearchIn(Strict):
    filter: RegistryFilter | None = None
    order_by: Annotated[list[OrderItem], Rule({"maxItems": registry_query.MAX_ORDER_KEYS})] = Field(
        default_factory=list, description="name, version or created_time, asc|desc."
    )
    limit: PageSize = 100
    page_token: Annotated[str, Rule({"pattern": PAGE_TOKEN})] | None = None


# -- aliases ---------------------------------------------------------------------------------
class PolicyIn(Strict):
    policy: Annotated[str, text(registry.MAX_POLICY_CHARS, empty=True)] = Field(
        description="The policy, YAML or JSON (docs/registry.md)."
    )


class PolicyPublic(BaseModel):
    alias: str | None
    policy: dict[str, Any]
    digest: str
    updated_ms: int | None = None
    updated_by: str | None = None


class PoliciesPublic(BaseModel):
    policies: list[PolicyPublic]


class VersionRefIn(Strict):
    version: VersionNumber


class GatePublic(BaseModel):
    gate: str
    rule: str
    passed: bool
    message: str
    actual: Any = None
    expected: Any = None


class DecisionPublic(BaseModel):
    model: str
    alias: str
    version: int
    from_version: int | None
    moved: bool
    gates: list[GatePublic]


class ApprovalPublic(BaseModel):
    model: str | None = None
    alias: str | None = None
    version: int | None
    approver: str
    time_ms: int | None = None
    valid: bool = True


class ApprovalsPublic(BaseModel):
    approvals: list[ApprovalPublic]


class AliasEventPublic(BaseModel):
    id: int
    alias: str
    time_ms: int
    actor: str
    kind: Literal["promote", "refuse", "rollback", "unset"]
    from_version: int | None
    to_version: int | None
    gates: list[GatePublic]


class HistoryPublic(BaseModel):
    events: list[AliasEventPublic]


class HolderPublic(BaseModel):
    model: str
    alias: str
    at_ms: int
    version: int | None = Field(description="null: the alias pointed nowhere then.")
    run_id: str | None
    since_ms: int | None
    moved_by: str | None


# -- deployments -----------------------------------------------------------------------------
class DeploymentIn(Strict):
    version: VersionNumber
    env: EnvName
    url: Annotated[str, text(registry.MAX_URL)] | None = None
    note: Annotated[str, text(registry.MAX_NOTE, empty=True)] | None = None


class DeploymentPublic(BaseModel):
    id: int
    model: str
    env: str
    version: int
    run_id: str
    since_ms: int
    url: str | None
    note: str | None
    recorded_by: str


class DeploymentsPublic(BaseModel):
    deployments: list[DeploymentPublic]


# -- references and drift --------------------------------------------------------------------
# core.drift.check_columns: a feature name has no control characters; a column holds values
# of one kind, numbers or texts, and every column of a body is of one length (which JSON
# Schema cannot say: 400 naming the feature).
FEATURE_NAME: dict[str, Any] = {
    "minLength": 1,
    "maxLength": drift.MAX_FEATURE_NAME,
    "pattern": r"^[^\x00-\x1f\x7f-\x9f]+$",
}
_COLUMN: dict[str, Any] = {"minItems": 1, "maxItems": drift.MAX_VALUES}
NumberColumn = Annotated[list[float], Rule(_COLUMN)]
TextColumn = Annotated[list[Annotated[str, Rule({"maxLength": drift.MAX_CATEGORY})]], Rule(_COLUMN)]
Columns = Annotated[
    dict[str, NumberColumn | TextColumn],
    Rule(
        {
            "minProperties": 1,
            "maxProperties": drift.MAX_FEATURES,
            "propertyNames": FEATURE_NAME,
        }
    ),
    Field(description="Feature name -> values (numbers, or texts for a categorical feature)."),
]


class ReferenceIn(Strict):
    data: Columns


class TelemetryIn(Strict):
    data: Columns
    reference: Key | None = Field(
        None, description="Which reference of the deployed run (needed when it has several)."
    )
    time_ms: Annotated[StrictInt, Rule({"minimum": 0, "format": "int64"})] | None = None


class TelemetryPublic(BaseModel):
    model: str
    env: str
    version: int
    run_id: str
    reference: str
    time_ms: int
    features: dict[str, dict[str, Any]] = Field(description="feature -> psi, ks, count, alert")
    alert: int | None = Field(description="The alert raised by this batch, if any.")
    thresholds: dict[str, float]


class DriftPointPublic(BaseModel):
    time_ms: int
    version: int
    feature: str
    count: int
    psi: float
    ks: float | None
    alert: bool


class DriftPublic(BaseModel):
    points: list[DriftPointPublic]


class AlertPublic(BaseModel):
    id: int
    model: str
    env: str
    version: int
    run_id: str
    time_ms: int
    features: dict[str, dict[str, Any]]
    thresholds: dict[str, float]


class AlertsPublic(BaseModel):
    alerts: list[AlertPublic]


# -- lineage and webhooks --------------------------------------------------------------------
class LineagePublic(BaseModel):
    root: str
    nodes: list[dict[str, Any]]
    edges: list[dict[str, str]]
    truncated: bool


# core.registry.check_webhook_url
WEBHOOK_URL = anchored(registry.WEBHOOK_URL_RE)
WebhookEvent = Literal[
    "version.registered", "alias.moved", "alias.refused", "deployment.recorded", "drift.alert"
]


class WebhookIn(Strict):
    url: Annotated[
        str, Rule({"minLength": 1, "maxLength": registry.MAX_URL, "pattern": WEBHOOK_URL})
    ] = Field(description="http(s)://, a host name or IPv4 address; no user or password.")
    events: Annotated[list[WebhookEvent], Rule({"minItems": 1})] | None = Field(
        None, description="The events to send; null: all of them."
    )


class WebhookPublic(BaseModel):
    id: str
    project: str
    url: str
    events: list[str]
    created_ms: int
    created_by: str
    secret: str | None = Field(description="Only in the answer that created it.")


class WebhooksPublic(BaseModel):
    webhooks: list[WebhookPublic]


class DeliveryPublic(BaseModel):
    id: int
    event: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    created_ms: int
    sent_ms: int | None
    payload: dict[str, Any]


class DeliveriesPublic(BaseModel):
    deliveries: list[DeliveryPublic]
