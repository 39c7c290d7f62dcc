"""LabLedger's records in MLflow's JSON shapes (``Run``, ``RunInfo``, ``Experiment``...)."""

from __future__ import annotations

from typing import Any

from labledger.core.entities import Run, RunStatus
from labledger.server.mlflow.protocol import wire_double
from labledger.services.experiments import Experiment

RUN_NAME_TAG = "mlflow.runName"
PARENT_TAG = "mlflow.parentRunId"
DEFAULT_EXPERIMENT = "Default"  # what MLflow's experiment "0" is called

_STATUS_OUT = {
    RunStatus.RUNNING: "RUNNING",
    RunStatus.FINISHED: "FINISHED",
    RunStatus.FAILED: "FAILED",
    RunStatus.KILLED: "KILLED",
}
STATUS_IN = {
    "RUNNING": None,
    "SCHEDULED": None,
    "FINISHED": RunStatus.FINISHED,
    "FAILED": RunStatus.FAILED,
    "KILLED": RunStatus.KILLED,
}
# MLflow's proto enum numbers, which some clients send instead of names
STATUS_NUMBERS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}


def artifact_uri(experiment_id: int, run_id: str) -> str:
    """Where the client sends a run's artifacts: the proxy (``/api/2.0/mlflow-artifacts``)."""
    return f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"


def run_info(run: Run, experiment_id: int) -> dict[str, Any]:
    info: dict[str, Any] = {
        "run_id": run.id,
        "run_uuid": run.id,
        "run_name": run.name,
        "experiment_id": str(experiment_id),
        "user_id": run.user or "",
        "status": _STATUS_OUT[run.status],
        "start_time": run.start_ms,
        "artifact_uri": artifact_uri(experiment_id, run.id),
        "lifecycle_stage": "active",
    }
    if run.end_ms is not None:
        info["end_time"] = run.end_ms
    return info


def run_json(
    run: Run,
    experiment_id: int,
    latest: dict[str, tuple[int, int]] | None = None,
    inputs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``latest`` gives each metric's (step, timestamp) when known."""
    latest = latest or {}
    tags = dict(run.tags)
    tags[RUN_NAME_TAG] = run.name
    if run.parent_id:
        tags[PARENT_TAG] = run.parent_id
    metrics = []
    for key, value in run.metrics.items():
        step, stamp = latest.get(key, (0, run.end_ms or run.start_ms))
        metrics.append({"key": key, "value": wire_double(value), "timestamp": stamp, "step": step})
    return {
        "info": run_info(run, experiment_id),
        "data": {
            "metrics": metrics,
            "params": [{"key": k, "value": v} for k, v in run.params.items()],
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
        },
        "inputs": {"dataset_inputs": inputs or []},
    }


def experiment_json(found: Experiment) -> dict[str, Any]:
    return {
        "experiment_id": str(found.id),
        "name": found.name,
        "artifact_location": f"mlflow-artifacts:/{found.id}",
        "lifecycle_stage": "deleted" if found.deleted else "active",
        "creation_time": found.created_ms,
        "last_update_time": found.updated_ms,
        "tags": [{"key": k, "value": v} for k, v in found.tags.items()],
    }
