"""Wire models of /api/v1/runs: a run, its changes, batches and metric histories."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from labledger.core import limits
from labledger.server.schemas.common import (
    KEY_RULE,
    ROLE,
    UINT63,
    Digest,
    Key,
    Params,
    ProjectName,
    Rule,
    RunId,
    Step,
    Strict,
    StrictBool,
    StrictTimestampMs,
    Tags,
    TimestampMs,
    WireFloat,
    text,
)


class RunCreate(Strict):
    project: ProjectName = Field(
        description="Project name; created on first use.", examples=["mnist"]
    )
    id: RunId | None = Field(None, description="Client-chosen run id (32 hex); retries are safe.")
    name: Annotated[str, text(limits.MAX_RUN_NAME)] | None = None
    run_key: Annotated[str, text(limits.MAX_RUN_KEY)] | None = Field(
        None, description="Idempotency key: the same key in the same project returns that run."
    )
    user: Annotated[str, text(limits.MAX_USER)] | None = None
    parent_id: RunId | None = Field(None, description="An existing run (404 otherwise).")
    group: Annotated[str, text(limits.MAX_GROUP)] | None = None
    notes: Annotated[str, text(limits.MAX_NOTES, empty=True)] | None = None
    start_ms: StrictTimestampMs | None = None
    params: Params = Field(default_factory=dict)
    tags: Tags = Field(default_factory=dict)


class RunUpdate(Strict):
    status: Literal["finished", "failed", "killed"] | None = None
    end_ms: StrictTimestampMs | None = None
    name: Annotated[str, text(limits.MAX_RUN_NAME)] | None = None
    notes: Annotated[str, text(limits.MAX_NOTES, empty=True)] | None = None
    release: StrictBool = Field(
        False,
        description="This status ends one writer's session (the SDK's finish()): while other "
        "processes still write to the run (they resumed it by id or run key), the run goes on "
        "and the last writer's status is the one that counts.",
    )


class RunPublic(BaseModel):
    id: str
    project: str
    name: str
    status: Literal["running", "finished", "failed", "killed"]
    start_ms: int
    end_ms: int | None
    duration_ms: int | None
    user: str | None
    parent_id: str | None
    group: str | None
    notes: str | None
    run_key: str | None
    heartbeat_ms: int | None = Field(
        None, description="Last sign of life from a writer (a batch or a heartbeat)."
    )
    seal_hash: str | None = Field(
        None, description="SHA-256 of the run's canonical record, set when it was sealed."
    )
    sealed_ms: int | None = None
    params: dict[str, str]
    tags: dict[str, str]
    metrics: dict[str, WireFloat]


class RunCreated(RunPublic):
    created: bool = Field(description="False when an existing run was returned (resume).")


# -- batches (parsed by hand: core.validation.parse_batch; this is what it accepts) -------------
MetricValue = float | Literal["NaN", "nan", "Infinity", "inf", "-Infinity", "-inf"]
PointColumn = Rule({"maxItems": limits.MAX_POINTS_PER_BATCH})


class MetricColumns(Strict):
    """One metric's points as three columns of the same length."""

    steps: Annotated[list[Step], PointColumn]
    timestamps: Annotated[list[TimestampMs], PointColumn] = Field(
        description="Milliseconds since the epoch."
    )
    values: Annotated[list[MetricValue], PointColumn] = Field(
        description="Numbers; NaN and the infinities as strings."
    )


ColumnText = Annotated[str, text(limits.MAX_KEY, empty=True)]


class DatasetIn(Strict):
    """A dataset the run used (``ll.log_dataset``); core.provenance.check_dataset."""

    model_config = ConfigDict(populate_by_name=True)

    name: Key
    role: Annotated[str, Rule({"maxLength": limits.MAX_DATASET_ROLE, "pattern": ROLE})] = Field(
        "input", examples=["training"]
    )
    uri: Annotated[str, text(limits.MAX_DATASET_URI)]
    digest: Digest
    size: Annotated[int, Rule(UINT63)]
    files: Annotated[int, Rule(UINT63)] = 1
    rows: Annotated[int, Rule(UINT63)] | None = None
    format: Annotated[str, text(limits.MAX_DATASET_FORMAT)] | None = None
    schema_: (
        Annotated[
            list[tuple[ColumnText, ColumnText]], Rule({"maxItems": limits.MAX_DATASET_COLUMNS})
        ]
        | None
    ) = Field(None, alias="schema", description="Columns as [name, type] pairs.")


class RunBatch(Strict):
    """Metrics, params and tags (and the environment and datasets) stored atomically."""

    batch_id: Annotated[str, text(limits.MAX_BATCH_ID)] | None = Field(
        None, description="Idempotency key: a repeat is a no-op."
    )
    metrics: Annotated[dict[str, MetricColumns], Rule({"propertyNames": KEY_RULE})] | None = Field(
        None, description=f"By key; at most {limits.MAX_POINTS_PER_BATCH} points in all."
    )
    params: Params | None = None
    tags: Tags | None = None
    environment: dict[str, Any] | None = Field(
        None,
        description="What ll.init() captured, at most once per run (a different second one is "
        f"409 environment_conflict); at most {limits.MAX_ENVIRONMENT_BYTES} bytes as canonical "
        "JSON.",
    )
    datasets: (
        Annotated[list[DatasetIn], Rule({"maxItems": limits.MAX_DATASETS_PER_BATCH})] | None
    ) = None


class BatchResultPublic(BaseModel):
    points: int
    duplicate: bool


class MetricHistoryPublic(BaseModel):
    key: str
    steps: list[int]
    timestamps: list[int]
    values: list[WireFloat]
    total_points: int
    downsampled: bool


class MetricKeysPublic(BaseModel):
    keys: list[str]
