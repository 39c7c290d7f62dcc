"""Runs: create, read, change, delete, and the batches and heartbeats a live run sends."""

from __future__ import annotations

from typing import Protocol

from labledger.core.entities import Run, RunCreate, RunUpdate


class RunsTransport(Protocol):
    def create_run(self, spec: RunCreate) -> tuple[Run, bool]:
        """The run, and whether it was created (False: resumed by its run key)."""
        ...

    def get_run(self, run_id: str) -> Run: ...

    def update_run(self, run_id: str, change: RunUpdate) -> Run: ...

    def delete_run(self, run_id: str, reason: str | None = None) -> None: ...

    def log_batch(self, run_id: str, body: bytes) -> int:
        """Store one batch, given as its wire body: the bytes the spool holds (a frame
        spooled by an older version, with bare NaN/Infinity, is re-encoded strictly).
        Returns the points stored (0 for a batch id seen before)."""
        ...

    def heartbeat(self, run_id: str) -> None: ...
