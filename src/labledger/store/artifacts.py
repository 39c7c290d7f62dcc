"""SQL for artifact manifests, stored blobs and resumable uploads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, exists, func, or_, select, update

from labledger.core.entities import ArtifactEntry, ArtifactState
from labledger.store._dialect import insert
from labledger.store.registry_tables import version_files
from labledger.store.tables import artifacts, blobs, upload_parts, uploads

_IN_CHUNK = 500


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), _IN_CHUNK):
        yield items[i : i + _IN_CHUNK]


def _to_entry(row: Row[Any]) -> ArtifactEntry:
    return ArtifactEntry(
        path=row.path,
        digest=row.digest,
        size=row.size,
        media_type=row.media_type,
        mtime_ms=row.mtime_ms,
        step=row.step,
        state=ArtifactState(row.state),
        created_ms=row.created_ms,
    )


def touch_blobs(conn: Connection, digests: Sequence[str], now_ms: int) -> set[str]:
    """Mark blobs as referenced now (holds off GC) and return the digests that exist."""
    found: set[str] = set()
    for chunk in _chunks(sorted(set(digests))):  # sorted: a fixed lock order
        conn.execute(update(blobs).where(blobs.c.digest.in_(chunk)).values(last_ref_ms=now_ms))
        found.update(conn.scalars(select(blobs.c.digest).where(blobs.c.digest.in_(chunk))))
    return found


def upsert_entries(conn: Connection, run_pk: int, entries: Sequence[ArtifactEntry]) -> None:
    if not entries:
        return
    rows = [
        {
            "run_pk": run_pk,
            "path": e.path,
            "digest": e.digest,
            "size": e.size,
            "media_type": e.media_type,
            "mtime_ms": e.mtime_ms,
            "step": e.step,
            "state": e.state.value,
            "created_ms": e.created_ms,
        }
        for e in entries
    ]
    stmt = insert(conn, artifacts)
    stmt = stmt.on_conflict_do_update(
        index_elements=["run_pk", "path"],
        set_={
            c: stmt.excluded[c]
            for c in ("digest", "size", "media_type", "mtime_ms", "step", "state", "created_ms")
        },
    )
    conn.execute(stmt, rows)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_entries(conn: Connection, run_pk: int, prefix: str) -> list[ArtifactEntry]:
    query = select(artifacts).where(artifacts.c.run_pk == run_pk)
    if prefix:
        query = query.where(
            or_(
                artifacts.c.path == prefix,
                artifacts.c.path.like(_escape_like(prefix) + "/%", escape="\\"),
            )
        )
    return [_to_entry(r) for r in conn.execute(query.order_by(artifacts.c.path))]


def get_entry(conn: Connection, run_pk: int, path: str) -> ArtifactEntry | None:
    row = conn.execute(
        select(artifacts).where(artifacts.c.run_pk == run_pk, artifacts.c.path == path)
    ).first()
    return None if row is None else _to_entry(row)


def latest_checkpoint(conn: Connection, run_pk: int) -> ArtifactEntry | None:
    row = conn.execute(
        select(artifacts)
        .where(
            artifacts.c.run_pk == run_pk,
            artifacts.c.step.is_not(None),
            artifacts.c.state == ArtifactState.STORED.value,
        )
        .order_by(artifacts.c.step.desc(), artifacts.c.created_ms.desc())
        .limit(1)
    ).first()
    return None if row is None else _to_entry(row)


def delete_run_entries(conn: Connection, run_pk: int) -> None:
    conn.execute(delete(artifacts).where(artifacts.c.run_pk == run_pk))


def pending_paths(conn: Connection, digest: str, limit: int = 10) -> list[str]:
    return list(
        conn.scalars(
            select(artifacts.c.path)
            .where(artifacts.c.digest == digest, artifacts.c.state == ArtifactState.PENDING.value)
            .order_by(artifacts.c.path)
            .limit(limit)
        )
    )


def known_sizes(conn: Connection, digests: Sequence[str]) -> dict[str, int]:
    """digest -> size, for contents stored or being uploaded."""
    sizes: dict[str, int] = {}
    for chunk in _chunks(digests):
        # a lease row (a blob being written or collected right now) holds no size
        started = select(uploads.c.digest, uploads.c.size).where(
            uploads.c.digest.in_(chunk), ~uploads.c.store_state.like("lease:%")
        )
        sizes.update({r.digest: int(r.size) for r in conn.execute(started)})
        stored = select(blobs.c.digest, blobs.c.size).where(blobs.c.digest.in_(chunk))
        sizes.update({r.digest: int(r.size) for r in conn.execute(stored)})
    return sizes


def _confirm_waiting(conn: Connection, digests: Sequence[str]) -> None:
    """Entries waiting for these contents become stored — those whose declared size is the
    content's (an entry claiming another size stays pending: no such content exists)."""
    stored_size = select(blobs.c.size).where(blobs.c.digest == artifacts.c.digest).scalar_subquery()
    for chunk in _chunks(sorted(digests)):
        conn.execute(
            update(artifacts)
            .where(
                artifacts.c.digest.in_(chunk),
                artifacts.c.state == ArtifactState.PENDING.value,
                artifacts.c.size == stored_size,
            )
            .values(state=ArtifactState.STORED.value)
        )


def record_blob(conn: Connection, digest: str, size: int, now_ms: int) -> None:
    """A verified blob is in the store: remember it and confirm entries waiting for it."""
    stmt = insert(conn, blobs).values(
        digest=digest, size=size, created_ms=now_ms, last_ref_ms=now_ms
    )
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["digest"], set_={"last_ref_ms": now_ms})
    )
    _confirm_waiting(conn, [digest])


def record_blobs(conn: Connection, sizes: dict[str, int], now_ms: int) -> None:
    """record_blob for many blobs, in a few statements."""
    if not sizes:
        return
    stmt = insert(conn, blobs)
    stmt = stmt.on_conflict_do_update(index_elements=["digest"], set_={"last_ref_ms": now_ms})
    rows = [
        {"digest": d, "size": s, "created_ms": now_ms, "last_ref_ms": now_ms}
        for d, s in sorted(sizes.items())
    ]
    conn.execute(stmt, rows)
    _confirm_waiting(conn, list(sizes))


def blob_size(conn: Connection, digest: str) -> int | None:
    size: int | None = conn.scalar(select(blobs.c.size).where(blobs.c.digest == digest))
    return size


# -- uploads ----------------------------------------------------------------------------------
def find_upload(conn: Connection, digest: str) -> Row[Any] | None:
    return conn.execute(select(uploads).where(uploads.c.digest == digest)).first()


def get_upload(conn: Connection, upload_id: str) -> Row[Any] | None:
    return conn.execute(select(uploads).where(uploads.c.id == upload_id)).first()


def insert_upload(
    conn: Connection,
    upload_id: str,
    digest: str,
    size: int,
    part_size: int,
    store_state: str,
    now_ms: int,
) -> bool:
    """False when another upload of the same content got there first."""
    stmt = insert(conn, uploads).values(
        id=upload_id,
        digest=digest,
        size=size,
        part_size=part_size,
        store_state=store_state,
        created_ms=now_ms,
    )
    stmt = stmt.on_conflict_do_nothing(index_elements=["digest"]).returning(uploads.c.id)
    return conn.execute(stmt).first() is not None


def received_parts(conn: Connection, upload_id: str) -> list[int]:
    return list(
        conn.scalars(
            select(upload_parts.c.part_number)
            .where(upload_parts.c.upload_id == upload_id)
            .order_by(upload_parts.c.part_number)
        )
    )


def record_part(conn: Connection, upload_id: str, part_number: int, size: int, sha: str) -> None:
    stmt = insert(conn, upload_parts).values(
        upload_id=upload_id, part_number=part_number, size=size, sha256=sha
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["upload_id", "part_number"], set_={"size": size, "sha256": sha}
        )
    )


def delete_upload(conn: Connection, upload_id: str) -> None:
    conn.execute(delete(upload_parts).where(upload_parts.c.upload_id == upload_id))
    conn.execute(delete(uploads).where(uploads.c.id == upload_id))


def stale_uploads(conn: Connection, cutoff_ms: int, lease_cutoff_ms: int) -> list[Row[Any]]:
    """Upload sessions started before ``cutoff_ms`` and leases (left by a crashed server)
    taken before ``lease_cutoff_ms``."""
    is_lease = uploads.c.store_state.like("lease:%")
    query = select(uploads).where(
        or_(
            and_(~is_lease, uploads.c.created_ms < cutoff_ms),
            and_(is_lease, uploads.c.created_ms < lease_cutoff_ms),
        )
    )
    return list(conn.execute(query))


# -- leases: who may publish or delete a content's bytes right now ----------------------------
# A lease is a row in ``uploads`` (unique by digest) whose store_state is "lease:<kind>".
LEASE_PUT = "lease:put"
LEASE_GC = "lease:gc"


def lease_holders(conn: Connection, digests: Sequence[str]) -> dict[str, str]:
    """digest -> store_state of the upload session or lease that holds it."""
    out: dict[str, str] = {}
    for chunk in _chunks(sorted(set(digests))):
        rows = conn.execute(
            select(uploads.c.digest, uploads.c.store_state).where(uploads.c.digest.in_(chunk))
        )
        out.update({r.digest: r.store_state for r in rows})
    return out


def take_lease(conn: Connection, lease_id: str, digest: str, kind: str, now_ms: int) -> bool:
    stmt = insert(conn, uploads).values(
        id=lease_id, digest=digest, size=0, part_size=0, store_state=kind, created_ms=now_ms
    )
    stmt = stmt.on_conflict_do_nothing(index_elements=["digest"]).returning(uploads.c.id)
    return conn.execute(stmt).first() is not None


def release_leases(conn: Connection, lease_ids: Sequence[str]) -> None:
    for chunk in _chunks(list(lease_ids)):
        conn.execute(delete(uploads).where(uploads.c.id.in_(chunk)))


# -- garbage collection -----------------------------------------------------------------------
def _unreferenced(cutoff_ms: int, own_lease: str | None = None) -> Any:
    held = uploads.c.digest == blobs.c.digest
    if own_lease is not None:
        held = and_(held, uploads.c.id != own_lease)
    return and_(
        blobs.c.last_ref_ms < cutoff_ms,
        ~exists().where(artifacts.c.digest == blobs.c.digest),
        ~exists().where(version_files.c.digest == blobs.c.digest),  # a model version's file
        ~exists().where(held),
    )


def gc_candidates(conn: Connection, cutoff_ms: int) -> list[tuple[str, int]]:
    rows = conn.execute(select(blobs.c.digest, blobs.c.size).where(_unreferenced(cutoff_ms)))
    return [(r.digest, r.size) for r in rows]


def lease_for_gc(conn: Connection, digest: str, cutoff_ms: int, lease_id: str, now_ms: int) -> bool:
    """Take the GC lease on a content and forget its blob row, only if nothing refers to it
    or holds it (re-checked under the locks).  False leaves everything as it was."""
    if not take_lease(conn, lease_id, digest, LEASE_GC, now_ms):
        return False  # an upload or a put holds it
    result = conn.execute(
        delete(blobs).where(blobs.c.digest == digest, _unreferenced(cutoff_ms, lease_id))
    )
    if result.rowcount != 1:
        release_leases(conn, [lease_id])
        return False
    return True


def known_digests(conn: Connection) -> set[str]:
    return set(conn.scalars(select(blobs.c.digest)))


def storage_totals(conn: Connection) -> tuple[int, int]:
    row = conn.execute(select(func.count(), func.coalesce(func.sum(blobs.c.size), 0))).one()
    return int(row[0]), int(row[1])


def blob_page(conn: Connection, after: str | None, limit: int) -> list[tuple[str, int]]:
    """Stored blobs (digest, size) in digest order, after ``after``."""
    query = select(blobs.c.digest, blobs.c.size)
    if after is not None:
        query = query.where(blobs.c.digest > after)
    rows = conn.execute(query.order_by(blobs.c.digest).limit(limit)).all()
    return [(r.digest, r.size) for r in rows]
