"""The transport protocol the SDK writes through, and the factory that picks one by URI.

A folder path means the embedded store (in-process services, loaded lazily); an
``http(s)://`` URI means a LabLedger server.  Both return core entities and raise the same
``TrackerError`` classes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from labledger.core.entities import (
    ArtifactEntry,
    Batch,
    MetricSeries,
    Project,
    Run,
    RunCreate,
    RunPage,
    RunUpdate,
)
from labledger.core.settings import Settings


class Transport(Protocol):
    def create_run(self, spec: RunCreate) -> tuple[Run, bool]: ...

    def get_run(self, run_id: str) -> Run: ...

    def update_run(self, run_id: str, change: RunUpdate) -> Run: ...

    def log_batch(self, run_id: str, batch: Batch | None, body: bytes) -> int:
        """Store one batch.  ``batch`` may be None (replay): then ``body`` is decoded."""
        ...

    def search_runs(
        self,
        project: str,
        filter: str | None,
        order_by: list[str] | None,
        limit: int,
        page_token: str | None,
    ) -> RunPage: ...

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_points: int | None,
        start_step: int | None,
        end_step: int | None,
    ) -> MetricSeries: ...

    def list_metric_keys(self, run_id: str) -> list[str]: ...

    def list_projects(self) -> list[Project]: ...

    def delete_run(self, run_id: str, reason: str | None = None) -> None: ...

    def heartbeat(self, run_id: str) -> None: ...

    def declare_artifacts(
        self, run_id: str, entries: list[ArtifactEntry]
    ) -> tuple[list[ArtifactEntry], list[str]]:
        """Record manifest entries; returns them with their state and the digests to send."""
        ...

    def store_content(
        self,
        source: Path,
        digest: str,
        size: int,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Store a file's bytes as content ``digest`` (ArtifactChangedError if they differ)."""
        ...

    def store_small(
        self,
        items: list[tuple[Path, str, int]],
        progress: Callable[[int], None] | None = None,
    ) -> list[Path]:
        """Store several small files (source, digest, size) at once; returns the sources
        that changed since they were hashed (not stored)."""
        ...

    def list_artifacts(self, run_id: str, path: str) -> list[ArtifactEntry]: ...

    def latest_checkpoint(self, run_id: str) -> ArtifactEntry | None: ...

    def read_artifact(
        self, run_id: str, entry: ArtifactEntry
    ) -> AbstractContextManager[Iterator[bytes]]:
        """The stored bytes of an entry, streamed (not verified: callers hash them)."""
        ...

    def read_archive(self, run_id: str, path: str) -> AbstractContextManager[Iterator[bytes]]:
        """Every stored artifact under ``path`` as a tar stream (names relative to it)."""
        ...

    # provenance: wire dicts, the same from a server and from the embedded store
    def environment(self, run_id: str) -> dict[str, Any]: ...

    def datasets(self, run_id: str) -> list[dict[str, Any]]: ...

    def annotations(self, run_id: str) -> list[dict[str, Any]]: ...

    def seal_run(self, run_id: str) -> Run: ...

    def verify_run(self, run_id: str, blobs: bool) -> dict[str, Any]: ...

    def sealed_runs(self, project: str | None, after: str | None, limit: int) -> dict[str, Any]: ...

    def verify_blobs(self, after: str | None, limit: int) -> dict[str, Any]: ...

    def set_requirements(self, project: str, fields: list[str]) -> list[str]: ...

    def project_completeness(self, project: str) -> dict[str, Any]: ...

    def run_completeness(self, run_id: str) -> dict[str, Any]: ...

    def close(self) -> None: ...


def open_transport(settings: Settings) -> Transport:
    if settings.is_remote:
        from labledger.sdk._http import HttpTransport

        return HttpTransport(settings.tracking_uri, token=settings.token)
    from labledger.sdk._local import LocalTransport

    return LocalTransport(settings)
