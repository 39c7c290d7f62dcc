"""Sealing: when a run ends, its record is hashed and the hash stored; afterwards the run
takes no writes but annotations.  Verification recomputes the hash and every blob digest.

The record is a set of parts, each hashed on its own (so verification can say which part
changed): the run's identity and times, params, tags (without annotations), final metrics,
the whole metric history, the environment, the datasets and the artifact manifest.  The seal
is the SHA-256 of the canonical JSON ``{"version": 1, "parts": {part: digest}}``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from labledger.artifacts import BlobStore
from labledger.core.errors import RunSealedError
from labledger.core.provenance import canonical_json, sha256_hex
from labledger.store import provenance as prov_repo
from labledger.store import runs as run_repo
from labledger.store import seals as seal_repo
from labledger.store.runs import RunRef

SEAL_VERSION = 1
ANNOTATION_PREFIX = "annotation."  # tags a sealed run may still take, each change recorded


def is_annotation(tag_key: str) -> bool:
    return tag_key.startswith(ANNOTATION_PREFIX)


def refuse_if_sealed(ref: RunRef, run_id: str, what: str) -> None:
    if ref.sealed:
        raise RunSealedError(
            f"run {run_id} is sealed; {what} is refused (only notes and "
            f"{ANNOTATION_PREFIX}* tags may change)",
            details={"run_id": run_id},
        )


def record_parts(conn: Connection, run_pk: int) -> dict[str, str]:
    """Each part of the run's record, hashed, as the store holds it now."""
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
    return {
        "run": sha256_hex(canonical_json(identity)),
        "params": sha256_hex(canonical_json(run.params)),
        "tags": sha256_hex(canonical_json(tags)),
        "metrics": sha256_hex(canonical_json(run.metrics)),
        "history": seal_repo.history_digest(conn, run_pk),
        "environment": prov_repo.environment_digest(conn, run_pk) or "",
        "datasets": sha256_hex(canonical_json(datasets)),
        "artifacts": sha256_hex(canonical_json(seal_repo.manifest(conn, run_pk))),
    }


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
        }


def verify_record(conn: Connection, run_pk: int, run_id: str) -> RunVerification:
    """Recompute the seal of a sealed run and name each part that no longer matches."""
    recorded = seal_repo.get_seal(conn, run_pk)
    if recorded is None:
        if run_repo.get_run_by_pk(conn, run_pk).sealed_ms is not None:
            return RunVerification(
                run_id,
                None,
                [
                    "its sealing was interrupted before the hash was stored: "
                    "`labledger runs seal RUN` completes it"
                ],
            )
        return RunVerification(run_id, None, ["the run is not sealed"])
    seal_hash, version, parts = recorded
    result = RunVerification(run_id, seal_hash)
    if seal_hash_of(version, parts) != seal_hash:
        result.problems.append("the seal record itself was altered (its parts do not hash to it)")
    now = record_parts(conn, run_pk)
    for part in sorted(set(parts) | set(now)):
        if parts.get(part) != now.get(part):
            result.problems.append(f"{part} changed since the run was sealed")
    return result


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
