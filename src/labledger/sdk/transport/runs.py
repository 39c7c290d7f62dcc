"""Runs: create, read, change, delete, and the batches and heartbeats a live run sends."""

from __future__ import annotations

from typing import Protocol

from labledger.core.entities import Batch, Run, RunCreate, RunUpdate


class RunsTransport(Protocol):
    def create_run(self, spec: RunCreate) -> tuple[Run, bool]:
        """The run, and whether it was created (False: resumed by its run key)."""
        ...

    def get_run(self, run_id: str) -> Run: ...

    def update_run(self, run_id: str, change: RunUpdate) -> Run: ...

    def delete_run(self, run_id: str, reason: str | None = None) -> None: ...

    def log_batch(self, run_id: str, batch: Batch | None, body: bytes) -> int:
        """Store one batch.  ``batch`` may be None (replay): then ``body`` is decoded."""
        ...

    def heartbeat(self, run_id: str) -> None: ...
