"""In-process transport to the embedded store: the same services a server runs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from labledger.core.batches import parse_batch
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
from labledger.core.errors import ArtifactChangedError
from labledger.core.settings import Settings
from labledger.sdk._local_provenance import LocalProvenanceMixin


class LocalTransport(LocalProvenanceMixin):
    def __init__(self, settings: Settings) -> None:
        from labledger.services.tracker import Tracker

        self.tracker = Tracker.from_settings(settings)

    def create_run(self, spec: RunCreate) -> tuple[Run, bool]:
        return self.tracker.runs.create_run(spec)

    def get_run(self, run_id: str) -> Run:
        return self.tracker.runs.get_run(run_id)

    def update_run(self, run_id: str, change: RunUpdate) -> Run:
        return self.tracker.runs.update_run(run_id, change)

    def log_batch(self, run_id: str, batch: Batch | None, body: bytes) -> int:
        if batch is None:
            batch = parse_batch(json.loads(body))
        return self.tracker.runs.log_batch(run_id, batch).points

    def search_runs(
        self,
        project: str,
        filter: str | None,
        order_by: list[str] | None,
        limit: int,
        page_token: str | None,
    ) -> RunPage:
        return self.tracker.search.search_runs(project, filter, order_by, limit, page_token)

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_points: int | None,
        start_step: int | None,
        end_step: int | None,
    ) -> MetricSeries:
        return self.tracker.search.get_metric_history(run_id, key, max_points, start_step, end_step)

    def list_metric_keys(self, run_id: str) -> list[str]:
        return self.tracker.search.list_metric_keys(run_id)

    def heartbeat(self, run_id: str) -> None:
        self.tracker.runs.heartbeat(run_id)

    def delete_run(self, run_id: str, reason: str | None = None) -> None:
        self.tracker.runs.delete_run(run_id, reason)

    def declare_artifacts(
        self, run_id: str, entries: list[ArtifactEntry]
    ) -> tuple[list[ArtifactEntry], list[str]]:
        return self.tracker.artifacts.declare(run_id, entries)

    def store_content(
        self,
        source: Path,
        digest: str,
        size: int,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        actual, actual_size = self.tracker.artifacts.put_file(source, expected=digest)
        if actual != digest or actual_size != size:
            raise ArtifactChangedError(
                f"{source} changed after it was logged (its bytes no longer match the digest "
                "taken then); log it again, or pass copy=True to snapshot files at log time",
                details={"source": str(source)},
            )
        if progress is not None:
            progress(size)

    def store_small(
        self,
        items: list[tuple[Path, str, int]],
        progress: Callable[[int], None] | None = None,
    ) -> list[Path]:
        changed: list[Path] = []
        for source, digest, size in items:
            try:
                self.store_content(source, digest, size, progress)
            except ArtifactChangedError:
                changed.append(source)
        return changed

    def list_artifacts(self, run_id: str, path: str) -> list[ArtifactEntry]:
        return self.tracker.artifacts.list(run_id, path)

    def latest_checkpoint(self, run_id: str) -> ArtifactEntry | None:
        return self.tracker.artifacts.latest_checkpoint(run_id)

    @contextmanager
    def read_artifact(self, run_id: str, entry: ArtifactEntry) -> Iterator[Iterator[bytes]]:
        stored = self.tracker.artifacts.stored(run_id, entry.path)
        chunks = self.tracker.artifacts.read(stored.digest)
        try:
            yield chunks
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    @contextmanager
    def read_archive(self, run_id: str, path: str) -> Iterator[Iterator[bytes]]:
        chunks = self.tracker.artifacts.archive(run_id, path).chunks
        try:
            yield chunks
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    def list_projects(self) -> list[Project]:
        return self.tracker.search.list_projects()

    def close(self) -> None:
        self.tracker.close()
