"""Replaying spools: ship every frame that was spooled but never acknowledged.

Used by ``labledger sync`` after a crash, an outage the process did not outlive, or a run
recorded with no reachable server.  Frames keep their batch ids, so a frame that did reach
the target before the crash is recognised there and not stored twice.
"""

from __future__ import annotations

import json
import os
import socket
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labledger.core.entities import RunStatus, RunUpdate
from labledger.core.errors import TrackerError
from labledger.core.settings import Settings
from labledger.sdk.artifact_spool import ArtifactSpool, pending_records
from labledger.sdk.artifacts import GROUP_MAX_FILES, upload_group
from labledger.sdk.journal import (
    KIND_DATASET,
    KIND_ENVIRONMENT,
    KIND_PARAMS,
    KIND_POINTS,
    KIND_TAGS,
    mark_synced,
    read_items,
)
from labledger.sdk.offline import spec_from_meta
from labledger.sdk.sender import MAX_POINTS_PER_BATCH
from labledger.sdk.spool import (
    journal_start,
    pending_frames,
    read_writer_meta,
    remove_writer_if_done,
)
from labledger.sdk.transport import Transport, open_transport
from labledger.sdk.wire import strict_body


@dataclass
class SyncReport:
    """What a sync did so far; handed to ``on_progress`` after every step."""

    writers: int = 0  # spooled writers found (one per process that recorded a run)
    writers_done: int = 0
    runs: int = 0  # runs that had something to send
    batches: int = 0
    points: int = 0
    files: int = 0
    bytes: int = 0  # metric batches and artifact files, as sent
    killed: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _append_ack(ack_path: Path, seq: int) -> None:
    with open(ack_path, "ab") as f:
        f.write(struct.pack("<Q", seq))


Progress = Callable[[SyncReport], None]


def sync_spool(
    root: Path, *, tracking_uri: str | None = None, on_progress: Progress | None = None
) -> SyncReport:
    """Send every pending frame under ``root`` (a spool root folder) to its target."""
    report = SyncReport()
    notify: Progress = on_progress or (lambda _report: None)
    writers = [p for p in sorted(root.glob("*/*.log")) if p.with_suffix(".json").exists()]
    report.writers = len(writers)
    notify(report)
    transports: dict[str, Transport] = {}
    try:
        for log_path in writers:
            meta = read_writer_meta(log_path)
            uri = tracking_uri or meta["tracking_uri"]
            if uri not in transports:
                transports[uri] = open_transport(Settings.from_env(tracking_uri=uri))
            _sync_writer(transports[uri], log_path, meta, report, notify)
            report.writers_done += 1
            notify(report)
    finally:
        for transport in transports.values():
            transport.close()
    return report


def _sync_writer(
    transport: Transport,
    log_path: Path,
    meta: dict[str, Any],
    report: SyncReport,
    notify: Progress,
) -> None:
    """One writer's frames, journal tail and artifacts, then its run's final status."""
    run_id = _create_if_offline(transport, meta, report)
    if run_id is None:
        return
    dead = writer_process_gone(meta)
    last_seen = _last_heartbeat(transport, run_id) if dead else None
    errors_before = len(report.errors)
    sent = _replay_writer(transport, run_id, log_path, report, notify)
    if len(report.errors) == errors_before:  # frames first: the journal continues them
        sent = _replay_journal(transport, run_id, log_path, report, notify) or sent
    sent = _replay_artifacts(transport, run_id, log_path, report, notify) or sent
    if sent:
        report.runs += 1
    if meta.get("final") and len(report.errors) == errors_before:
        _apply_final(transport, run_id, meta["final"], report)
    elif dead:
        _mark_killed(transport, run_id, last_seen, report)
    remove_writer_if_done(log_path)


def _replay_writer(
    transport: Transport,
    run_id: str,
    log_path: Path,
    report: SyncReport,
    notify: Progress,
) -> bool:
    ack_path = log_path.with_suffix(".acks")
    sent = False
    for seq, payload in pending_frames(log_path):
        try:
            points = transport.runs.log_batch(run_id, payload)
        except TrackerError as exc:
            report.errors.append(f"{run_id} batch {seq}: {exc}")
            return sent
        _append_ack(ack_path, seq)
        report.batches += 1
        report.points += points
        report.bytes += len(payload)
        sent = True
        notify(report)
    return sent


def _replay_artifacts(
    transport: Transport, run_id: str, log_path: Path, report: SyncReport, notify: Progress
) -> bool:
    """Upload the files a writer logged that were never confirmed."""
    records = pending_records(log_path.with_suffix(".artifacts"))
    if not records:
        return False
    spool = ArtifactSpool(log_path.parent, log_path.stem)
    sent = False
    for i in range(0, len(records), GROUP_MAX_FILES):
        group = records[i : i + GROUP_MAX_FILES]
        try:
            errors = upload_group(transport, run_id, group, {})
        except TrackerError as exc:
            report.errors.append(f"{run_id} artifacts: {exc}")
            return sent
        report.errors.extend(f"{run_id}: {e}" for e in errors)
        spool.mark_done(group)
        report.files += len(group) - len(errors)
        report.bytes += sum(r.size for r in group)
        sent = True
        notify(report)
    return sent


def writer_process_gone(meta: dict[str, object]) -> bool:
    """True when the writer's process ran on this host and is no longer alive.  (A process
    on another host cannot be checked from here: the server's heartbeat timeout covers it.)"""
    pid, host = meta.get("pid"), meta.get("host")
    if not isinstance(pid, int) or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, owned by someone else
    return False


def _last_heartbeat(transport: Transport, run_id: str) -> int | None:
    try:
        run = transport.runs.get_run(run_id)
    except TrackerError:
        return None
    return run.heartbeat_ms if run.status is RunStatus.RUNNING else None


def _mark_killed(
    transport: Transport, run_id: str, last_seen: int | None, report: SyncReport
) -> None:
    """A run whose process died is ``killed``, ended at its last heartbeat."""
    try:
        run = transport.runs.get_run(run_id)
        if run.status is RunStatus.RUNNING:
            transport.runs.update_run(
                run_id, RunUpdate(status=RunStatus.KILLED, end_ms=last_seen, release=True)
            )
            report.killed.append(run_id)
    except TrackerError as exc:
        report.errors.append(f"{run_id}: could not mark it killed: {exc}")


def _replay_journal(
    transport: Transport, run_id: str, log_path: Path, report: SyncReport, notify: Progress
) -> bool:
    """Send what ``log()`` accepted but the process never spooled (it was killed first).

    Items are grouped from the first unsent one, the same way every time, and each batch's
    id names its first item: a sync interrupted and run again sends nothing twice."""
    run_dir, writer = log_path.parent, log_path.stem
    start = journal_start(log_path)
    sent = False
    for first, end, body, points in _journal_batches(read_items(run_dir, writer, start)):
        data = strict_body(json.dumps({"batch_id": f"{writer}-j{first}", **body}).encode())
        try:
            transport.runs.log_batch(run_id, data)
        except TrackerError as exc:
            report.errors.append(f"{run_id} journal items {first}-{end - 1}: {exc}")
            return sent
        mark_synced(run_dir, writer, end)
        report.batches += 1
        report.points += points
        report.bytes += len(data)
        sent = True
        notify(report)
    return sent


def _journal_batches(
    items: Iterator[tuple[int, int, Any]],
) -> Iterator[tuple[int, int, dict[str, Any], int]]:
    """(first index, end index, batch body, points) for runs of at most 50,000 points."""
    first: int | None = None
    end = 0
    metrics: dict[str, dict[str, list[Any]]] = {}
    params: dict[str, str] = {}
    tags: dict[str, str] = {}
    extra: dict[str, Any] = {}  # environment, datasets
    points = 0

    def body() -> dict[str, Any]:
        out: dict[str, Any] = dict(extra)
        if metrics:
            out["metrics"] = metrics
        if params:
            out["params"] = params
        if tags:
            out["tags"] = tags
        return out

    for index, kind, value in items:
        if first is None:
            first = index
        if kind == KIND_POINTS:
            step, ts, values = value
            for key, v in values.items():
                cols = metrics.setdefault(key, {"steps": [], "timestamps": [], "values": []})
                cols["steps"].append(step)
                cols["timestamps"].append(ts)
                cols["values"].append(v)
            points += len(values)
        elif kind == KIND_PARAMS:
            params.update(value)
        elif kind == KIND_TAGS:
            tags.update(value)
        elif kind == KIND_ENVIRONMENT:
            extra["environment"] = value
        elif kind == KIND_DATASET:
            extra.setdefault("datasets", []).append(value)
        end = index + 1
        if points >= MAX_POINTS_PER_BATCH:
            yield first, end, body(), points
            first, metrics, params, tags, extra, points = None, {}, {}, {}, {}, 0
    if first is not None:
        yield first, end, body(), points


def _create_if_offline(
    transport: Transport, meta: dict[str, Any], report: SyncReport
) -> str | None:
    """The target's id for the writer's run: an offline run is created first (with its own
    id, or resumed by its run_key).  None when that fails."""
    create = meta.get("create")
    if create is None:
        return str(meta["run_id"])
    try:
        record, created = transport.runs.create_run(spec_from_meta(create))
    except TrackerError as exc:
        report.errors.append(f"{meta['run_id']}: cannot create the offline run: {exc}")
        return None
    if created:
        report.created.append(record.id)
    return record.id


def _apply_final(
    transport: Transport, run_id: str, final: dict[str, Any], report: SyncReport
) -> None:
    """An offline run's status as its process finished it."""
    try:
        if transport.runs.get_run(run_id).status is RunStatus.RUNNING:
            status = RunStatus(final["status"])
            transport.runs.update_run(
                run_id, RunUpdate(status=status, end_ms=final.get("end_ms"), release=True)
            )
    except TrackerError as exc:
        report.errors.append(f"{run_id}: could not set its final status: {exc}")
