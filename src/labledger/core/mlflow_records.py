"""What ``labledger import mlflow`` reads from an MLflow store, whatever kind it is (a
tracking server, a SQL database, an ``mlruns`` folder): plain records every reader returns
(``store/mlflow_source.py`` reads a database; ``ops/mlflow_import`` the others) and the
copier consumes.  MLflow's own names are kept (run ids, experiment ids as strings, status
names)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# MLflow's run statuses, by name and by the numbers its file store and protobufs use
RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
STATUS_BY_NUMBER = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
RUN_NAME_TAG = "mlflow.runName"
PARENT_TAG = "mlflow.parentRunId"


@dataclass(frozen=True, slots=True)
class SourceExperiment:
    id: str
    name: str
    deleted: bool = False
    artifact_location: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SourceRun:
    id: str
    experiment_id: str
    name: str
    status: str  # one of RUN_STATUSES
    start_ms: int | None
    end_ms: int | None
    user: str | None
    deleted: bool
    artifact_uri: str | None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)  # MLflow's, mlflow.* ones included
    metric_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceVersion:
    model: str
    version: int
    run_id: str | None
    source: str
    description: str = ""
    stage: str = "None"  # MLflow's deprecated stages: None, Staging, Production, Archived
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SourceModel:
    name: str
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    versions: tuple[SourceVersion, ...] = ()


@dataclass(frozen=True, slots=True)
class History:
    """One metric's points as columns, in the order every reader gives them: by step, then
    timestamp, then value (NaN first) — the same order every time, so an import that was
    interrupted knows that the points it stored are a prefix."""

    steps: list[int]
    timestamps: list[int]
    values: list[float]

    def __len__(self) -> int:
        return len(self.steps)


def sorted_history(points: list[tuple[int, int, float]]) -> History:
    """(step, timestamp, value) points in the readers' order."""
    points.sort(key=lambda p: (p[0], p[1], not math.isnan(p[2]), 0.0 if math.isnan(p[2]) else p[2]))
    return History(
        steps=[p[0] for p in points],
        timestamps=[p[1] for p in points],
        values=[p[2] for p in points],
    )


def status_name(raw: object) -> str:
    """An MLflow status as its name (numbers, as the file store writes them, included);
    anything unknown reads as RUNNING, which the import leaves running."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return STATUS_BY_NUMBER.get(raw, "RUNNING")
    text = str(raw).strip().upper()
    if text.isdigit():
        return STATUS_BY_NUMBER.get(int(text), "RUNNING")
    return text if text in RUN_STATUSES else "RUNNING"
