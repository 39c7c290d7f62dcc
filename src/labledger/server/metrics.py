"""``/metrics`` in Prometheus format: the tracker's own indicators, per server process.

Request latency comes from the ASGI middleware below, labelled by route template, so the
batch ack latency is ``route="/api/v1/runs/{run_id}/batches"``, query latency the search,
count and history routes, artifact upload latency the blob and part routes.  Counters are
incremented by the routes; run and storage totals are read from the database at scrape
time (so every replica reports the same totals).  Every response carries an
``X-Request-ID`` (the caller's, or a new one), also put in the server's log records.
"""

from __future__ import annotations

import contextvars
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labledger.services.tracker import Tracker

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
log = logging.getLogger("labledger.server")

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ServerMetrics:
    def __init__(self, tracker: Tracker) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.request_seconds = Histogram(
            "labledger_http_request_seconds",
            "Time to answer a request, by route template and status.",
            ["method", "route", "status"],
            buckets=_BUCKETS,
            registry=r,
        )
        self.runs_created = Counter("labledger_runs_created", "Runs created.", registry=r)
        self.runs_resumed = Counter(
            "labledger_runs_resumed",
            "Creates answered with an existing run (same id or run_key): duplicates absorbed.",
            registry=r,
        )
        self.runs_ended = Counter(
            "labledger_runs_ended", "Runs ended, by final status.", ["status"], registry=r
        )
        self.points = Counter("labledger_ingest_points", "Metric points stored.", registry=r)
        self.batches = Counter("labledger_ingest_batches", "Batches stored.", registry=r)
        self.duplicate_batches = Counter(
            "labledger_ingest_duplicate_batches",
            "Batches sent again after a lost acknowledgement (stored once).",
            registry=r,
        )
        self.upload_bytes = Counter(
            "labledger_artifact_upload_bytes", "Artifact bytes received.", registry=r
        )
        r.register(_StoreCollector(tracker))


class _StoreCollector(Collector):
    COMPLETENESS_RUNS = 1000  # the latest runs of each project
    COMPLETENESS_TTL_S = 60.0

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self._completeness_at = -1e9
        self._completeness_cache: dict[str, float] = {}

    def _completeness(self) -> GaugeMetricFamily:
        """Per project with required fields: % of its latest 1,000 runs that carry them all
        (recomputed at most once a minute: it reads every one of those runs)."""
        if time.monotonic() - self._completeness_at > self.COMPLETENESS_TTL_S:
            provenance = self.tracker.provenance
            self._completeness_cache = {
                p: provenance.completeness(p, recent=self.COMPLETENESS_RUNS).percent
                for p in provenance.projects_with_requirements()
            }
            self._completeness_at = time.monotonic()
        family = GaugeMetricFamily(
            "labledger_metadata_completeness_percent",
            "Runs carrying every field their project requires, % of its latest 1,000.",
            labels=["project"],
        )
        for project, percent in self._completeness_cache.items():
            family.add_metric([project], percent)
        return family

    def collect(self) -> Iterator[GaugeMetricFamily]:
        runs = GaugeMetricFamily(
            "labledger_runs", "Runs in the store by status.", labels=["status"]
        )
        for status, count in self.tracker.runs.count_by_status().items():
            runs.add_metric([status], count)
        yield runs
        blobs, size = self.tracker.artifacts.storage_totals()
        yield GaugeMetricFamily("labledger_storage_blobs", "Stored artifact blobs.", value=blobs)
        yield GaugeMetricFamily(
            "labledger_storage_blob_bytes", "Bytes of stored artifact blobs.", value=size
        )
        yield self._completeness()
        yield GaugeMetricFamily(
            "labledger_storage_database_bytes",
            "Bytes the database occupies (runs, params, tags, metric points).",
            value=self.tracker.db.size_bytes(),
        )


class RequestMiddleware:
    """Request ids and per-route latency, as a plain ASGI middleware (no body buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        rid = headers.get(b"x-request-id", b"").decode("latin-1")[:200] or uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)
            metrics: ServerMetrics | None = getattr(scope["app"].state, "metrics", None)
            route = scope.get("route")
            if metrics is not None and route is not None:
                path: Any = getattr(route, "path", "other")
                metrics.request_seconds.labels(scope["method"], path, str(status)).observe(
                    time.perf_counter() - started
                )


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every log record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True
