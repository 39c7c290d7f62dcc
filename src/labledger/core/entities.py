"""Plain entities passed between layers (no ORM rows, no pydantic models)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    KILLED = "killed"

    @property
    def is_terminal(self) -> bool:
        return self is not RunStatus.RUNNING


@dataclass(frozen=True, slots=True)
class Project:
    name: str
    created_ms: int
    run_count: int = 0
    last_activity_ms: int | None = None
    runs_per_day: list[int] = field(default_factory=list)  # last 30 days, oldest first
    role: str | None = None  # the caller's role in it (signed-in callers of a server)


@dataclass(slots=True)
class Run:
    id: str
    project: str
    name: str
    status: RunStatus
    start_ms: int
    end_ms: int | None = None
    user: str | None = None
    parent_id: str | None = None
    group: str | None = None
    notes: str | None = None
    run_key: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    heartbeat_ms: int | None = None  # last sign of life from a writer (batch or heartbeat)
    seal_hash: str | None = None  # SHA-256 of the canonical record, set when the run ended
    sealed_ms: int | None = None

    @property
    def duration_ms(self) -> int | None:
        return None if self.end_ms is None else self.end_ms - self.start_ms

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project,
            "name": self.name,
            "status": self.status.value,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "duration_ms": self.duration_ms,
            "user": self.user,
            "parent_id": self.parent_id,
            "group": self.group,
            "notes": self.notes,
            "run_key": self.run_key,
            "heartbeat_ms": self.heartbeat_ms,
            "seal_hash": self.seal_hash,
            "sealed_ms": self.sealed_ms,
            "params": dict(self.params),
            "tags": dict(self.tags),
            "metrics": dict(self.metrics),
        }


@dataclass(frozen=True, slots=True)
class RunCreate:
    """What a caller asks for when creating (or resuming, by id or run_key) a run."""

    project: str
    id: str | None = None
    name: str | None = None
    run_key: str | None = None
    user: str | None = None
    parent_id: str | None = None
    group: str | None = None
    notes: str | None = None
    start_ms: int | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunUpdate:
    status: RunStatus | None = None
    end_ms: int | None = None
    name: str | None = None
    notes: str | None = None
    release: bool = False  # one writer's finish(): the run ends with its last writer


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """Points of one metric of one run as parallel columns, sorted by step then time."""

    key: str
    steps: list[int]
    timestamps: list[int]
    values: list[float]
    total_points: int
    downsampled: bool = False


@dataclass(frozen=True, slots=True)
class DatasetRef:
    """A run's use of one dataset version: what it is called, how it was used, where it was
    read from, and the content (digest, size, and rows/schema when cheap to read)."""

    name: str
    role: str
    uri: str
    digest: str
    size: int
    files: int = 1
    rows: int | None = None
    format: str | None = None
    schema: list[tuple[str, str]] | None = None  # (column, type)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "uri": self.uri,
            "digest": self.digest,
            "size": self.size,
            "files": self.files,
            "rows": self.rows,
            "format": self.format,
            "schema": None if self.schema is None else [list(c) for c in self.schema],
        }


@dataclass(frozen=True, slots=True)
class Batch:
    """One atomic, idempotent write to a run: metrics (columnar per key), params, tags, and
    at most once per run the captured environment; datasets used."""

    batch_id: str | None
    metrics: dict[str, tuple[list[int], list[int], list[float]]]
    params: dict[str, str]
    tags: dict[str, str]
    environment: dict[str, Any] | None = None
    datasets: tuple[DatasetRef, ...] = ()

    @property
    def point_count(self) -> int:
        return sum(len(cols[0]) for cols in self.metrics.values())


@dataclass(frozen=True, slots=True)
class RunPage:
    runs: list[Run]
    next_page_token: str | None
    total: int | None = None


@dataclass(frozen=True, slots=True)
class ProjectKeys:
    params: list[str]
    metrics: list[str]
    tags: list[str]


@dataclass(frozen=True, slots=True)
class RunGroup:
    value: str | None  # None: runs without the grouping key
    count: int


class ArtifactState(enum.StrEnum):
    PENDING = "pending"  # declared; its blob is not stored (and verified) yet
    STORED = "stored"


@dataclass(frozen=True, slots=True)
class ArtifactEntry:
    """One line of a run's manifest: a logical path and the content it names."""

    path: str
    digest: str  # SHA-256, 64 lowercase hex
    size: int
    media_type: str = "application/octet-stream"
    mtime_ms: int | None = None
    step: int | None = None
    state: ArtifactState = ArtifactState.PENDING
    created_ms: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "digest": self.digest,
            "size": self.size,
            "media_type": self.media_type,
            "mtime_ms": self.mtime_ms,
            "step": self.step,
            "state": self.state.value,
            "created_ms": self.created_ms,
        }


@dataclass(frozen=True, slots=True)
class UploadSession:
    """A resumable upload of one blob: fixed-size parts, each received once."""

    upload_id: str | None  # None when the blob is already stored
    digest: str
    size: int
    part_size: int
    parts: list[int]
    stored: bool = False

    @property
    def part_count(self) -> int:
        return max(1, -(-self.size // self.part_size))

    def missing_parts(self) -> list[int]:
        have = set(self.parts)
        return [n for n in range(1, self.part_count + 1) if n not in have]
