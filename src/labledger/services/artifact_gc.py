"""Garbage collection of the blob store: blobs no manifest refers to, abandoned uploads.

A blob's row is forgotten (re-checking, under a GC lease on the row, that no entry, upload
or recent reference holds it) before its bytes are deleted, so a content being declared
or published again at the same moment is never lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from labledger.artifacts import BlobStore
from labledger.core.identity import Principal
from labledger.core.ids import new_id, now_ms
from labledger.services import audit
from labledger.store import artifacts as repo
from labledger.store.database import Connection, Database

DEFAULT_GC_GRACE_MS = 3_600_000
STALE_UPLOAD_MS = 7 * 24 * 3_600_000
STALE_LEASE_MS = 3_600_000  # a lease is held for one request; older ones are a crash's


@dataclass
class GcReport:
    blobs_deleted: int = 0
    bytes_freed: int = 0
    uploads_aborted: int = 0
    digests: list[str] = field(default_factory=list)


def collect_garbage(
    db: Database,
    store: BlobStore,
    principal: Principal,
    *,
    grace_ms: int = DEFAULT_GC_GRACE_MS,
    dry_run: bool = False,
) -> GcReport:
    """Free blobs nothing has referred to for ``grace_ms``; abort stale uploads.  Each blob
    forgotten and each upload aborted is audited in the transaction that does it."""
    now = now_ms()
    cutoff = now - grace_ms
    report = GcReport()
    with db.read() as conn:
        candidates = repo.gc_candidates(conn, cutoff)
        stale = repo.stale_uploads(conn, now - max(grace_ms, STALE_UPLOAD_MS), now - STALE_LEASE_MS)
    for digest, size in candidates:
        if not dry_run:
            lease_id = new_id()

            def forget(
                conn: Connection, digest: str = digest, size: int = size, lease: str = lease_id
            ) -> bool:
                leased = repo.lease_for_gc(conn, digest, cutoff, lease, now)
                if leased:
                    audit.record(
                        conn, principal, "blob.gc", f"blob:{digest}", details={"size": size}
                    )
                return bool(leased)

            if not db.run_write(forget):
                continue  # referenced or held again since the candidates were listed
            try:
                store.delete(digest)  # nobody can publish it while GC holds it
            finally:
                db.run_write(repo.release_leases, [lease_id])
        report.blobs_deleted += 1
        report.bytes_freed += size
        report.digests.append(digest)
    for row in stale:
        if not dry_run:
            if not row.store_state.startswith("lease:"):
                store.abort_upload(row.id, row.store_state)

            def drop(conn: Connection, upload_id: str = row.id) -> None:
                repo.delete_upload(conn, upload_id)
                audit.record(conn, principal, "upload.gc", f"upload:{upload_id}")

            db.run_write(drop)
        report.uploads_aborted += 1
    return report
