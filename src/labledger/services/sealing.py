"""Sealing: when a run ends, its record is hashed and the hash stored; afterwards the run
takes no writes but annotations.  Verification recomputes the hash and every blob digest.

The record is a set of parts, each hashed on its own (so verification can say which part
changed): the run's identity and times, params, tags (without annotations), final metrics,
the whole metric history, the environment, the datasets and the artifact manifest.  The seal
is the SHA-256 of the canonical JSON ``{"version": 1, "parts": {part: digest}}``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from labledger.artifacts import BlobStore
from labledger.core.entities import RunStatus
from labledger.core.errors import RecordChangedError, RunSealedError
from labledger.core.provenance import canonical_json, sha256_hex
from labledger.store import provenance as prov_repo
from labledger.store import runs as run_repo
from labledger.store import seals as seal_repo
from labledger.store.database import Connection
from labledger.store.runs import RunRef

SEAL_VERSION = 2  # 1: artifacts by path, digest and size; 2: every declared field
ANNOTATION_PREFIX = "annotation."  # tags a sealed run may still take, each change recorded


def is_annotation(tag_key: str) -> bool:
    return tag_key.startswith(ANNOTATION_PREFIX)


def sealed_error(run_id: str, what: str) -> RunSealedError:
    return RunSealedError(
        f"run {run_id} is sealed; {what} is refused (only notes and "
        f"{ANNOTATION_PREFIX}* tags may change)",
        details={"run_id": run_id},
    )


def refuse_if_sealed(ref: RunRef, run_id: str, what: str) -> None:
    if ref.sealed:
        raise sealed_error(run_id, what)


def _quick_parts(conn: Connection, run_pk: int, version: int) -> dict[str, str]:
    """Every part but the metric history, hashed, as the store holds it now."""
    run = run_repo.get_run_by_pk(conn, run_pk)
    identity = {
        "id": run.id,
        "project": run.project,
        "name": run.name,
        "status": run.status.value,
        "start_ms": run.start_ms,
        "end_ms": run.end_ms,
        "user": run.user,
        "parent_id": run.parent_id,
        "group": run.group,
        "run_key": run.run_key,
    }
    tags = {k: v for k, v in run.tags.items() if not is_annotation(k)}
    datasets = [
        [d.name, d.role, d.uri, d.digest, d.size] for d in prov_repo.list_datasets(conn, run_pk)
    ]
    # version 1 covered path, digest and size of each artifact; version 2 every field
    manifest: Any = (
        seal_repo.manifest(conn, run_pk) if version == 1 else seal_repo.full_manifest(conn, run_pk)
    )
    return {
        "run": sha256_hex(canonical_json(identity)),
        "params": sha256_hex(canonical_json(run.params)),
        "tags": sha256_hex(canonical_json(tags)),
        "metrics": sha256_hex(canonical_json(run.metrics)),
        "environment": prov_repo.environment_digest(conn, run_pk) or "",
        "datasets": sha256_hex(canonical_json(datasets)),
        "artifacts": sha256_hex(canonical_json(manifest)),
    }


def record_parts(conn: Connection, run_pk: int, version: int = SEAL_VERSION) -> dict[str, str]:
    """Each part of the run's record, hashed, as the store holds it now."""
    return {
        **_quick_parts(conn, run_pk, version),
        "history": seal_repo.history_digest(conn, run_pk),
    }


def begun_record(conn: Connection, run_pk: int) -> dict[str, Any]:
    """What the run holds as it ends, cheaply: kept with the status change, so that a seal
    interrupted before its hash is stored can be completed only over the same record."""
    return {
        "parts": _quick_parts(conn, run_pk, SEAL_VERSION),
        "history": seal_repo.history_summary(conn, run_pk),
    }


def begin_seal(conn: Connection, run_pk: int, now_ms: int) -> None:
    """In the transaction that ends the run: refuse writes from now on, and keep what the
    run holds (``begun_record``)."""
    seal_repo.begin_seal(conn, run_pk, now_ms, SEAL_VERSION, begun_record(conn, run_pk))


def changed_since_end(begun: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """The parts that differ between two ``begun_record``s (sums compared as doubles)."""
    changed = [
        part
        for part in sorted(set(begun["parts"]) | set(now["parts"]))
        if begun["parts"].get(part) != now["parts"].get(part)
    ]
    old, new = begun["history"], now["history"]
    if old[:2] != new[:2] or not all(
        math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)
        for a, b in zip(old[2:], new[2:], strict=True)
    ):
        changed.append("history")
    return changed


def seal_hash_of(version: int, parts: dict[str, str]) -> str:
    return sha256_hex(canonical_json({"version": version, "parts": parts}))


def store_seal(conn: Connection, run_pk: int, parts: dict[str, str]) -> str:
    """Store the seal over ``parts`` (hashed by ``record_parts`` after ``begin_seal``)."""
    digest = seal_hash_of(SEAL_VERSION, parts)
    seal_repo.save_seal(conn, run_pk, digest, SEAL_VERSION, parts)
    return digest


@dataclass
class RunVerification:
    run_id: str
    seal_hash: str | None
    problems: list[str] = field(default_factory=list)
    blobs_checked: int = 0
    status: str | None = None  # the run's status; None for a deleted run
    deleted: dict[str, Any] | None = None  # the tombstone of a deleted run

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "seal_hash": self.seal_hash,
            "ok": self.ok,
            "problems": list(self.problems),
            "blobs_checked": self.blobs_checked,
            "status": self.status,
            "deleted": self.deleted,
        }


def verify_record(conn: Connection, run_pk: int, run_id: str) -> RunVerification:
    """Recompute the seal of a sealed run and name each part that no longer matches; for a
    run without a seal hash, say whether that is allowed (a failed or killed run never
    sealed) or a finding (a finished run unsealed, a hash removed, a seal interrupted)."""
    run = run_repo.get_run_by_pk(conn, run_pk)
    recorded = seal_repo.get_seal(conn, run_pk)
    if recorded is None:
        return _unsealed(conn, run_pk, run_id, run.status, run.sealed_ms is not None)
    seal_hash, version, parts = recorded
    result = RunVerification(run_id, seal_hash, status=run.status.value)
    if seal_hash_of(version, parts) != seal_hash:
        result.problems.append("the seal record itself was altered (its parts do not hash to it)")
    now = record_parts(conn, run_pk, version)
    for part in sorted(set(parts) | set(now)):
        if parts.get(part) != now.get(part):
            result.problems.append(f"{part} changed since the run was sealed")
    return result


def _unsealed(
    conn: Connection, run_pk: int, run_id: str, status: RunStatus, marked: bool
) -> RunVerification:
    result = RunVerification(run_id, None, status=status.value)
    record = seal_repo.seal_record(conn, run_pk)
    if record is not None and record[1] is not None:
        version, parts, _ = record
        now = record_parts(conn, run_pk, version)
        changed = [
            p for p in sorted(set(parts or {}) | set(now)) if (parts or {}).get(p) != now.get(p)
        ]
        result.problems.append(
            "its seal hash was removed from the run although the seal's parts are recorded: "
            "treat the record as altered; it will not be sealed again"
            + (f" ({', '.join(changed)} changed since it was sealed)" if changed else "")
        )
    elif marked:
        result.problems.append(_interrupted(conn, run_pk, record))
    elif status is RunStatus.FINISHED:
        result.problems.append(
            "the run finished but was never sealed (finished runs are sealed as they end): "
            "its record may have been changed, and nothing can show whether it was"
        )
    elif status is RunStatus.RUNNING:
        result.problems.append("the run is still running: there is no seal to verify yet")
    return result


def _interrupted(
    conn: Connection,
    run_pk: int,
    record: tuple[int, dict[str, Any] | None, dict[str, Any] | None] | None,
) -> str:
    begun = record[2] if record is not None else None
    if begun is None:
        return (
            "its sealing was interrupted, and there is no record of what it held when it "
            "ended: nothing shows it is unchanged, so it cannot be sealed"
        )
    changed = changed_since_end(begun, begun_record(conn, run_pk))
    if changed:
        return (
            f"its sealing was interrupted, and {', '.join(changed)} changed since the run "
            "ended: it cannot be sealed as it is"
        )
    return (
        "its sealing was interrupted before the hash was stored; the record still matches "
        "what it held when it ended: `labledger runs seal RUN` completes it"
    )


def verify_tombstone(stone: dict[str, Any]) -> RunVerification:
    """A deleted run: reported (when, why, the seal it had), not a difference."""
    keys = ("project", "status", "deleted_ms", "deleted_by", "reason", "seal_hash")
    deleted = {k: stone[k] for k in keys}
    return RunVerification(stone["run_id"], stone["seal_hash"], deleted=deleted)


def verify_blobs(
    store: BlobStore, entries: list[tuple[str, str, int]], result: RunVerification
) -> None:
    """Re-read every stored blob of a manifest and check it hashes to its digest."""
    for path, digest, size in entries:
        result.blobs_checked += 1
        problem = blob_problem(store, digest, size)
        if problem:
            result.problems.append(f"artifact {path}: {problem}")


def blob_problem(store: BlobStore, digest: str, size: int | None = None) -> str | None:
    """None when the blob exists and hashes to ``digest``; else what is wrong."""
    h = hashlib.sha256()
    read = 0
    try:
        if not store.exists(digest):
            return f"blob {digest} is missing from the artifact store"
        chunks: Iterator[bytes] = store.read(digest)
        for chunk in chunks:
            h.update(chunk)
            read += len(chunk)
    except Exception as exc:  # noqa: BLE001 - any read failure is a finding
        return f"blob {digest} could not be read: {exc}"
    actual = h.hexdigest()
    if actual != digest:
        return f"blob {digest} now hashes to {actual} ({read} bytes)"
    if size is not None and read != size:
        return f"blob {digest} has {read} bytes, the manifest says {size}"
    return None


def check_resumable(conn: Connection, run_pk: int, run_id: str) -> None:
    """An interrupted seal may be completed only when the record still matches what the run
    held when it ended (kept with the status change); a removed hash is never restored over
    whatever the record holds now."""
    record = seal_repo.seal_record(conn, run_pk)
    if record is not None and record[1] is not None:
        raise RecordChangedError(
            f"run {run_id} had a seal whose hash was removed; sealing it again would cover "
            "whatever changed since — `labledger verify` names what differs",
            details={"run_id": run_id},
        )
    begun = record[2] if record is not None else None
    if begun is None:
        raise RecordChangedError(
            f"run {run_id}'s sealing was interrupted and nothing records what it held when it "
            "ended, so it cannot be shown unchanged; it stays unsealed and `verify` reports it",
            details={"run_id": run_id},
        )
    changed = changed_since_end(begun, begun_record(conn, run_pk))
    if changed:
        raise RecordChangedError(
            f"run {run_id} changed since it ended ({', '.join(changed)}); it cannot be sealed "
            "as it is",
            details={"run_id": run_id, "changed": changed},
        )
