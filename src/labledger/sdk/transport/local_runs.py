"""Runs against the embedded store: the same services a server runs, in-process."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import orjson

from labledger.core.entities import Run, RunCreate, RunUpdate
from labledger.core.errors import MalformedBodyError
from labledger.sdk.transport.runs import RunsTransport

if TYPE_CHECKING:
    from labledger.services.tracker import Tracker


def _decode(body: bytes) -> Any:
    """A spooled batch body.  Strict JSON is read by orjson; a body with bare NaN or
    Infinity (an environment holding one, a frame spooled by an older version) by json,
    which reads them as the floats they were."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(body)
    except ValueError as exc:  # what a server's front door answers
        raise MalformedBodyError(
            f"request body is not valid JSON: {exc}", details={"field": "body"}
        ) from None


class LocalRuns(RunsTransport):
    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    def create_run(self, spec: RunCreate) -> tuple[Run, bool]:
        return self.tracker.runs.create_run(spec)

    def get_run(self, run_id: str) -> Run:
        return self.tracker.runs.get_run(run_id)

    def update_run(self, run_id: str, change: RunUpdate) -> Run:
        return self.tracker.runs.update_run(run_id, change)

    def delete_run(self, run_id: str, reason: str | None = None) -> None:
        self.tracker.runs.delete_run(run_id, reason)

    def log_batch(self, run_id: str, body: bytes) -> int:
        # the service checks the wire batch (parse_batch), as for a server's route
        return self.tracker.runs.log_batch(run_id, _decode(body)).points

    def heartbeat(self, run_id: str) -> None:
        self.tracker.runs.heartbeat(run_id)
