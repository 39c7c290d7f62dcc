"""Pydantic schemas of the REST API (HTTP layer only; services never see these)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

WireFloat = float | Literal["NaN", "Infinity", "-Infinity"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunCreate(_Strict):
    project: str = Field(description="Project name; created on first use.")
    id: str | None = Field(None, description="Client-chosen run id (32 hex); retries are safe.")
    name: str | None = None
    run_key: str | None = Field(
        None, description="Idempotency key: the same key in the same project returns that run."
    )
    user: str | None = None
    parent_id: str | None = None
    group: str | None = None
    notes: str | None = None
    start_ms: int | None = None
    params: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)


class RunUpdate(_Strict):
    status: Literal["finished", "failed", "killed"] | None = None
    end_ms: int | None = None
    name: str | None = None
    notes: str | None = None
    release: bool = Field(
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


class RunsPublic(BaseModel):
    runs: list[RunPublic]
    next_page_token: str | None
    total: int | None = Field(None, description="Runs matching the filter, if asked for.")


class RunSearch(_Strict):
    project: str
    filter: str | None = Field(None, description="Search language, see docs/search.md.")
    order_by: list[str] = Field(default_factory=list, examples=[["metrics.acc desc"]])
    limit: int = 100
    page_token: str | None = None
    include_total: bool = Field(False, description="Also count every matching run.")


class RunGroupQuery(_Strict):
    project: str
    group_by: str = Field(
        description="A param, tag or attribute (status, user, group).",
        examples=["params.optimizer.name"],
    )
    filter: str | None = None
    limit: int = 200


class RunGroupPublic(BaseModel):
    value: str | None = Field(description="None for runs without the grouping key.")
    count: int


class RunGroupsPublic(BaseModel):
    groups: list[RunGroupPublic]


class MetricColumns(_Strict):
    steps: list[int]
    timestamps: list[int]
    values: list[WireFloat]


class RunBatch(_Strict):
    batch_id: str | None = Field(None, description="Idempotency key: a repeat is a no-op.")
    metrics: dict[str, MetricColumns] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)


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


class ProjectPublic(BaseModel):
    name: str
    created_ms: int
    run_count: int
    last_activity_ms: int | None
    runs_per_day: list[int] = Field(
        description="Runs started per day, last 30 days, oldest first (today last)."
    )


class ProjectKeysPublic(BaseModel):
    params: list[str]
    metrics: list[str]
    tags: list[str]


class ProjectsPublic(BaseModel):
    projects: list[ProjectPublic]


class ErrorPublic(BaseModel):
    error_code: str
    message: str
    details: dict[str, object]


class FilterCheck(_Strict):
    filter: str | None = None
    order_by: list[str] = Field(default_factory=list)


class FilterCheckPublic(BaseModel):
    valid: bool
    error: ErrorPublic | None = Field(None, description="Why not, with position for syntax.")


class RunCount(_Strict):
    project: str
    filter: str | None = None


class RunCountPublic(BaseModel):
    total: int


# -- artifacts ---------------------------------------------------------------------------------
class ArtifactIn(_Strict):
    path: str = Field(description="Relative '/'-separated path inside the run's artifacts.")
    digest: str = Field(description="SHA-256 of the content, 64 lowercase hex characters.")
    size: int
    media_type: str | None = None
    mtime_ms: int | None = None
    step: int | None = Field(None, description="Training step (checkpoints).")


class ArtifactsDeclare(_Strict):
    artifacts: list[ArtifactIn]


class ArtifactPublic(BaseModel):
    path: str
    digest: str
    size: int
    media_type: str
    mtime_ms: int | None
    step: int | None
    state: Literal["pending", "stored"]
    created_ms: int


class ArtifactsPublic(BaseModel):
    artifacts: list[ArtifactPublic]


class ArtifactsDeclared(BaseModel):
    artifacts: list[ArtifactPublic]
    missing: list[str] = Field(description="Digests the store lacks: upload these.")


class LatestCheckpointPublic(BaseModel):
    checkpoint: ArtifactPublic | None


class UploadStart(_Strict):
    digest: str
    size: int


class UploadPublic(BaseModel):
    upload_id: str | None = Field(description="None when the content is already stored.")
    digest: str
    size: int
    part_size: int
    part_count: int
    parts: list[int] = Field(description="Part numbers already received (from 1).")
    stored: bool


class BlobStoredPublic(BaseModel):
    digest: str
    size: int


class BlobsStoredPublic(BaseModel):
    blobs: int
    bytes: int


class GcPublic(BaseModel):
    blobs_deleted: int
    bytes_freed: int
    uploads_aborted: int
