"""Runs against the embedded store: the same services a server runs, in-process."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from labledger.core.batches import parse_batch
from labledger.core.entities import Batch, Run, RunCreate, RunUpdate
from labledger.sdk.transport.runs import RunsTransport

if TYPE_CHECKING:
    from labledger.services.tracker import Tracker


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

    def log_batch(self, run_id: str, batch: Batch | None, body: bytes) -> int:
        if batch is None:
            batch = parse_batch(json.loads(body))
        return self.tracker.runs.log_batch(run_id, batch).points

    def heartbeat(self, run_id: str) -> None:
        self.tracker.runs.heartbeat(run_id)
