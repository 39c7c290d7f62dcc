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
class Batch:
    """One atomic, idempotent write to a run: metrics (columnar per key), params, tags."""

    batch_id: str | None
    metrics: dict[str, tuple[list[int], list[int], list[float]]]
    params: dict[str, str]
    tags: dict[str, str]

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
