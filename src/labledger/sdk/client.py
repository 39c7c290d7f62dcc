"""Client: reading runs back (search, history, projects), with the same URI rules as init."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from labledger.core.artifact_validation import check_artifact_path
from labledger.core.entities import (
    ArtifactEntry,
    DatasetRef,
    Project,
    Run,
    RunStatus,
    RunUpdate,
)
from labledger.core.settings import Settings
from labledger.sdk.downloads import ArtifactReader, download
from labledger.sdk.history import MetricHistory
from labledger.sdk.transport import Transport, open_transport

if TYPE_CHECKING:
    import httpx


class RunList(list[Run]):
    """A page of runs; ``next_page_token`` fetches the next page (None on the last)."""

    next_page_token: str | None = None


class Client:
    def __init__(
        self,
        tracking_uri: str | None = None,
        *,
        _http_transport: httpx.BaseTransport | None = None,
    ) -> None:
        """``_http_transport`` is for tests: an app in this process (see ``open_transport``)."""
        self.settings = Settings.from_env(tracking_uri=tracking_uri)
        self._http_transport = _http_transport
        self._transport: Transport | None = None

    @property
    def transport(self) -> Transport:
        if self._transport is None:
            self._transport = open_transport(self.settings, http_transport=self._http_transport)
        return self._transport

    def get_run(self, run_id: str) -> Run:
        return self.transport.runs.get_run(run_id)

    def search_runs(
        self,
        project: str,
        filter: str | None = None,
        order_by: list[str] | None = None,
        limit: int = 100,
        page_token: str | None = None,
    ) -> RunList:
        page = self.transport.search.search_runs(project, filter, order_by, limit, page_token)
        out = RunList(page.runs)
        out.next_page_token = page.next_page_token
        return out

    def iter_runs(
        self,
        project: str,
        filter: str | None = None,
        order_by: list[str] | None = None,
        page_size: int = 1000,
    ) -> Iterator[Run]:
        token: str | None = None
        while True:
            page = self.search_runs(project, filter, order_by, page_size, token)
            yield from page
            token = page.next_page_token
            if token is None:
                return

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_points: int | None = None,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> MetricHistory:
        return MetricHistory(
            self.transport.search.get_metric_history(run_id, key, max_points, start_step, end_step)
        )

    def list_metric_keys(self, run_id: str) -> list[str]:
        return self.transport.search.list_metric_keys(run_id)

    def list_projects(self) -> list[Project]:
        return self.transport.search.list_projects()

    def set_status(self, run_id: str, status: RunStatus | str) -> Run:
        return self.transport.runs.update_run(run_id, RunUpdate(status=RunStatus(status)))

    def delete_run(self, run_id: str, reason: str | None = None) -> None:
        """Delete a run, its metrics, params, tags and artifact manifest; a tombstone keeps
        its id (never reused), project, status, seal and ``reason``."""
        self.transport.runs.delete_run(run_id, reason)

    # -- provenance -------------------------------------------------------------------------
    def get_environment(self, run_id: str) -> dict[str, Any] | None:
        """What ``ll.init()`` captured for the run (secrets redacted), or None."""
        env: dict[str, Any] | None = self.transport.provenance.environment(run_id)["environment"]
        return env

    def list_datasets(self, run_id: str) -> list[DatasetRef]:
        from labledger.core.provenance import check_dataset

        return [check_dataset("dataset", d) for d in self.transport.provenance.datasets(run_id)]

    def list_annotations(self, run_id: str) -> list[dict[str, Any]]:
        """Changes a sealed run took (notes, ``annotation.*`` tags), oldest first."""
        return self.transport.provenance.annotations(run_id)

    def seal_run(self, run_id: str) -> Run:
        """Seal an ended run now (finished runs are sealed when they finish)."""
        return self.transport.provenance.seal_run(run_id)

    def verify_run(self, run_id: str, *, blobs: bool = True) -> dict[str, Any]:
        """Recompute a sealed run's hash (and its artifacts' digests): ``ok``, ``problems``."""
        return self.transport.provenance.verify_run(run_id, blobs)

    def iter_sealed_runs(self, project: str | None = None) -> Iterator[str]:
        """Every id ``verify --all`` checks: ended runs and deleted runs' tombstones."""
        token: str | None = None
        while True:
            page = self.transport.provenance.sealed_runs(project, token, 1000)
            yield from page["run_ids"]
            token = page["next_page_token"]
            if token is None:
                return

    def set_required_fields(self, project: str, fields: list[str]) -> list[str]:
        """Fields every run of ``project`` should carry (e.g. ``git.commit``)."""
        return self.transport.provenance.set_requirements(project, fields)

    def completeness(self, project: str) -> dict[str, Any]:
        """``required``, ``runs``, ``complete``, ``percent``, ``incomplete`` (id -> missing)."""
        return self.transport.provenance.project_completeness(project)

    def missing_fields(self, run_id: str) -> list[str]:
        """The project's required fields this run lacks."""
        return list(self.transport.provenance.run_completeness(run_id)["missing"])

    # -- audit ------------------------------------------------------------------------------
    def audit_entries(
        self,
        *,
        project: str | None = None,
        run_id: str | None = None,
        actor: str | None = None,
        since_ms: int | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Audit log entries, newest first (server admins; a project's maintainers; the
        readers of a run)."""
        query = {
            "project": project,
            "run_id": run_id,
            "actor": actor,
            "since_ms": since_ms,
            "limit": limit,
        }
        return list(self.transport.audit.entries(query)["entries"])

    def verify_audit(self) -> dict[str, Any]:
        """Walk the audit log's hash chain: ``ok``, ``checked``, ``head``, ``problem``."""
        return self.transport.audit.verify()

    # -- artifacts --------------------------------------------------------------------------
    def list_artifacts(self, run_id: str, path: str = "") -> list[ArtifactEntry]:
        """Manifest entries under ``path`` (recursive, sorted), with ``state``."""
        return self.transport.artifacts.list_artifacts(
            run_id, check_artifact_path("path", path, allow_empty=True)
        )

    def latest_checkpoint(self, run_id: str) -> ArtifactEntry | None:
        return self.transport.artifacts.latest_checkpoint(run_id)

    def download_artifacts(
        self, run_id: str, path: str = "", dest: str | os.PathLike[str] = "."
    ) -> Path:
        """Download a file (to ``dest/<name>``) or folder (to ``dest/...``); every file is
        hashed on arrival and only renamed into place when it matches its digest."""
        return download(self.transport, run_id, path, dest)

    def open_artifact(self, run_id: str, path: str) -> io.BufferedReader:
        """A streaming binary reader; raises ArtifactCorruptedError at EOF on a mismatch."""
        path = check_artifact_path("path", path)
        entries = [
            e for e in self.transport.artifacts.list_artifacts(run_id, path) if e.path == path
        ]
        if not entries:
            from labledger.core.errors import ArtifactNotFoundError

            raise ArtifactNotFoundError(
                f"run {run_id} has no artifact {path!r}", details={"path": path}
            )
        return io.BufferedReader(ArtifactReader(self.transport, run_id, entries[0]), 1 << 20)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
