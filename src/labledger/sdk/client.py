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


def wire_columns(data: Any) -> dict[str, Any]:
    """Feature -> values, checked as the server checks them (naming the feature), as JSON
    lists."""
    from labledger.core.drift import check_columns

    return {
        k: v.tolist() if hasattr(v, "tolist") else list(v) for k, v in check_columns(data).items()
    }


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

    # -- model registry (docs/registry.md) --------------------------------------------------
    @property
    def _registry(self) -> Any:
        return self.transport.registry

    def create_model(
        self,
        name: str,
        project: str,
        *,
        description: str = "",
        tags: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Create a registered model in ``project``."""
        body = {"name": name, "project": project, "description": description, "tags": tags or {}}
        return dict(self._registry.create_model(body))

    def get_model(self, name: str) -> dict[str, Any]:
        """A model: description, tags, ``aliases`` (alias -> version), ``latest_version``."""
        return dict(self._registry.get_model(name))

    def list_models(
        self, *, name_like: str | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """Models you may read, by name, following pages up to ``limit``."""
        out: list[dict[str, Any]] = []
        token = None
        while len(out) < limit:
            query = {"name_like": name_like, "limit": min(1000, limit - len(out))}
            page = self._registry.list_models({**query, "page_token": token})
            out.extend(page["models"])
            token = page["next_page_token"]
            if token is None:
                break
        return out

    def register_model(
        self,
        name: str,
        run_id: str,
        path: str,
        *,
        description: str = "",
        tags: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Register the run's files at ``path`` as the next version of ``name`` (created in
        the run's project if needed); the version is pinned by those files' digests."""
        body = {"run_id": run_id, "path": path, "description": description, "tags": tags or {}}
        return dict(self._registry.register_version(name, body))

    def get_model_version(self, name: str, version: int) -> dict[str, Any]:
        return dict(self._registry.get_version(name, version))

    def search_model_versions(
        self,
        filter: str | None = None,  # noqa: A002 - the word every search API uses
        *,
        order_by: list[str] | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Versions matching ``filter`` (``name = 'churn' and run.metrics.acc > 0.9``),
        following pages up to ``limit``."""
        out: list[dict[str, Any]] = []
        token = None
        while len(out) < limit:
            page = self._registry.search_versions(
                {
                    "filter": filter,
                    "order_by": order_by or [],
                    "limit": min(1000, limit - len(out)),
                    "page_token": token,
                }
            )
            out.extend(page["versions"])
            token = page["next_page_token"]
            if token is None:
                break
        return out

    def set_promotion_policy(
        self, name: str, policy: str, *, alias: str | None = None
    ) -> dict[str, Any]:
        """Set ``alias``'s promotion policy (or, without alias, the model's drift thresholds)
        from YAML or JSON text."""
        return dict(self._registry.set_policy(name, alias, policy))

    def promote(self, name: str, version: int, alias: str) -> dict[str, Any]:
        """Move ``alias`` to ``version`` if its policy allows; ``GateFailedError`` names
        every failed gate otherwise (the refusal is recorded)."""
        return dict(self._registry.decide(name, alias, "promote", version))

    def check_promotion(self, name: str, version: int, alias: str) -> dict[str, Any]:
        """What promoting would decide, without moving or recording anything."""
        return dict(self._registry.decide(name, alias, "check", version))

    def approve(self, name: str, version: int, alias: str) -> dict[str, Any]:
        return dict(self._registry.decide(name, alias, "approve", version))

    def rollback(self, name: str, alias: str) -> dict[str, Any]:
        """Move ``alias`` back to the version it pointed at before its last move."""
        return dict(self._registry.decide(name, alias, "rollback", None))

    def alias_history(
        self, name: str, alias: str | None = None, *, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Every decision on the model's aliases (or one), newest first, with gate results."""
        return list(self._registry.history(name, {"alias": alias, "limit": limit})["events"])

    def alias_at(self, name: str, alias: str, at_ms: int | None = None) -> dict[str, Any]:
        """Which version ``alias`` pointed at, at ``at_ms`` (default now), and since when."""
        return dict(self._registry.holder_at(name, alias, at_ms))

    def record_deployment(
        self, name: str, version: int, env: str, *, url: str | None = None, note: str | None = None
    ) -> dict[str, Any]:
        """Record that ``env`` now serves ``version`` (for deploy pipelines)."""
        body = {"version": version, "env": env, "url": url, "note": note}
        return dict(self._registry.record_deployment(name, body))

    def current_deployment(self, name: str, env: str, at_ms: int | None = None) -> dict[str, Any]:
        return dict(self._registry.current_deployment(name, env, at_ms))

    def log_production(
        self,
        name: str,
        env: str,
        data: dict[str, Any],
        *,
        reference: str | None = None,
        time_ms: int | None = None,
    ) -> dict[str, Any]:
        """Send one batch of production values (feature -> values); the answer holds PSI and
        KS per feature and the alert it raised, if any."""
        body = {"data": wire_columns(data), "reference": reference, "time_ms": time_ms}
        return dict(self._registry.log_production(name, env, body))

    def drift_alerts(
        self, name: str, env: str | None = None, *, limit: int = 100
    ) -> list[dict[str, Any]]:
        return list(self._registry.alerts(name, {"env": env, "limit": limit})["alerts"])

    def lineage(self, node: str, depth: int = 4) -> dict[str, Any]:
        """The graph around ``node`` (``run:<id>``, ``version:<model>/<n>``,
        ``deployment:<id>``, ``dataset:<digest>`` …): ``nodes`` and ``edges``."""
        return dict(self._registry.lineage(node, depth))

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
