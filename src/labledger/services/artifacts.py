"""Artifact rules: manifests, content-addressed blobs, resumable uploads, garbage collection.

Order of events that keeps "nothing silently lost or corrupted": a blob's row is written only
after the store holds verified bytes; an entry is ``stored`` only once its blob's row exists;
GC forgets a blob's row (re-checking, under the row's lock, that nothing refers to it) before
it deletes the bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from labledger.artifacts import BlobStore
from labledger.artifacts.blobstore import check_part
from labledger.core.artifact_validation import (
    check_artifact_path,
    check_digest,
    check_size,
    parse_artifact_entries,
)
from labledger.core.entities import ArtifactEntry, ArtifactState, UploadSession
from labledger.core.errors import (
    ArtifactCorruptedError,
    ArtifactNotFoundError,
    ArtifactPendingError,
    BlobStoreError,
    InvalidInputError,
    RunNotFoundError,
    UploadIncompleteError,
    UploadNotFoundError,
)
from labledger.core.identity import Action
from labledger.core.ids import is_valid_id, new_id, now_ms
from labledger.core.limits import ARTIFACT_PART_SIZE
from labledger.services import audit
from labledger.services.access import Guarded
from labledger.services.archives import Archive, build_archive
from labledger.services.artifact_gc import DEFAULT_GC_GRACE_MS, GcReport, collect_garbage
from labledger.services.manifests import check_sizes, held_unchanged
from labledger.store import artifacts as repo
from labledger.store import runs as run_repo
from labledger.store.database import Connection, Database


def _check_run_id(run_id: str) -> None:
    if not is_valid_id(run_id):
        raise RunNotFoundError(f"run {run_id!r} does not exist", details={"run_id": run_id})


class ArtifactService(Guarded):
    blob_store: BlobStore

    def __init__(self, db: Database, store: BlobStore) -> None:
        super().__init__(db, store)
        self.store = store

    # -- manifests --------------------------------------------------------------------------
    def declare(
        self, run_id: str, entries: Sequence[ArtifactEntry | Mapping[str, Any]]
    ) -> tuple[list[ArtifactEntry], list[str]]:
        """Record entries for a run; returns them (with state) and the digests to upload.

        ``entries`` are wire objects (path, digest, size, media_type, mtime_ms, step) or
        ``ArtifactEntry``; both are checked here (``parse_artifact_entries``), the one place
        they are, and a later entry for a path replaces an earlier one."""
        self.allow(Action.WRITE, run_id=run_id)
        _check_run_id(run_id)
        checked = parse_artifact_entries(list(entries))

        def apply(conn: Connection) -> tuple[list[ArtifactEntry], list[str]]:
            ref = run_repo.get_run_for_write(conn, run_id)
            run_pk = ref.pk
            if ref.sealed:
                held = held_unchanged(conn, ref.pk, run_id, checked)
                return held, sorted({e.digest for e in held if e.state is ArtifactState.PENDING})
            check_sizes(conn, checked)
            now = now_ms()
            found = repo.touch_blobs(conn, [e.digest for e in checked], now)
            out = [
                replace(
                    e,
                    state=ArtifactState.STORED if e.digest in found else ArtifactState.PENDING,
                    created_ms=now,
                )
                for e in checked
            ]
            repo.upsert_entries(conn, run_pk, out)
            audit.record_run(
                conn,
                self.principal,
                "artifacts.declare",
                run_id,
                ref.project_id,
                {
                    "count": len(out),
                    "paths": [e.path for e in out[:20]],
                    "bytes": sum(e.size for e in out),
                },
            )
            missing = sorted({e.digest for e in out if e.state is ArtifactState.PENDING})
            return out, missing

        result: tuple[list[ArtifactEntry], list[str]] = self.db.run_write(apply)
        return result

    def list(self, run_id: str, path: str = "") -> list[ArtifactEntry]:
        self.allow(Action.READ, run_id=run_id)
        _check_run_id(run_id)
        prefix = check_artifact_path("path", path, allow_empty=True)
        with self.db.read() as conn:
            run_pk, _ = run_repo.get_run_ref(conn, run_id)
            return repo.list_entries(conn, run_pk, prefix)

    def archive(self, run_id: str, path: str = "") -> Archive:
        """Every stored artifact under ``path`` as one streamed tar (services/archives.py)."""
        self.allow(Action.READ, run_id=run_id)
        return build_archive(run_id, path, self.list(run_id, path), self.read)

    def get(self, run_id: str, path: str) -> ArtifactEntry:
        self.allow(Action.READ, run_id=run_id)
        _check_run_id(run_id)
        path = check_artifact_path("path", path)
        with self.db.read() as conn:
            run_pk, _ = run_repo.get_run_ref(conn, run_id)
            entry = repo.get_entry(conn, run_pk, path)
        if entry is None:
            raise ArtifactNotFoundError(
                f"run {run_id} has no artifact {path!r}", details={"run_id": run_id, "path": path}
            )
        return entry

    def stored(self, run_id: str, path: str) -> ArtifactEntry:
        """An entry whose bytes can be read now (pending ones cannot)."""
        self.allow(Action.READ, run_id=run_id)
        entry = self.get(run_id, path)
        if entry.state is not ArtifactState.STORED:
            raise ArtifactPendingError(
                f"artifact {path!r} of run {run_id} is still pending: its upload has not completed",
                details={"run_id": run_id, "path": path},
            )
        return entry

    def latest_checkpoint(self, run_id: str) -> ArtifactEntry | None:
        self.allow(Action.READ, run_id=run_id)
        _check_run_id(run_id)
        with self.db.read() as conn:
            run_pk, _ = run_repo.get_run_ref(conn, run_id)
            return repo.latest_checkpoint(conn, run_pk)

    def read(self, digest: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        self.allow(Action.READ)
        return self.store.read(digest, start, end)

    # -- blobs ------------------------------------------------------------------------------
    def has_blob(self, digest: str) -> bool:
        self.allow(Action.READ)
        with self.db.read() as conn:
            return repo.blob_size(conn, digest) is not None

    @contextmanager
    def _publishing(self, digests: Sequence[str]) -> Iterator[None]:
        """Hold off garbage collection while bytes for ``digests`` are being published.

        Takes a put lease on each content nobody holds; refuses (503, retried by the SDK)
        while GC holds one.  A content held by an upload session needs no lease of ours:
        GC skips it, and completing it refreshes the blob's reference time.
        """

        def take(conn: Connection) -> list[str]:
            holders = repo.lease_holders(conn, digests)
            busy = [d for d, state in holders.items() if state == repo.LEASE_GC]
            if busy:
                raise BlobStoreError(
                    f"content {busy[0]} is being garbage-collected right now; try again",
                    details={"digest": busy[0]},
                )
            now = now_ms()
            taken = []
            for digest in sorted(set(digests) - set(holders)):
                lease_id = new_id()
                if repo.take_lease(conn, lease_id, digest, repo.LEASE_PUT, now):
                    taken.append(lease_id)
            return taken

        leases: list[str] = self.db.run_write(take)
        try:
            yield
        finally:
            if leases:
                self.db.run_write(repo.release_leases, leases)

    def put_blob(self, digest: str, chunks: Iterable[bytes | memoryview]) -> int:
        """Store a whole blob (verified against ``digest``) and confirm entries waiting for it."""
        self.allow(Action.WRITE)
        check_digest("digest", digest)
        with self._publishing([digest]):
            size = self.store.put(digest, chunks)
            self.db.run_write(repo.record_blob, digest, size, now_ms())
        return size

    def put_blobs(self, items: Sequence[tuple[str, memoryview]]) -> int:
        """Store many small blobs at once: all verified first (one mismatch stores none),
        then written, then recorded in one transaction.  Returns the bytes stored."""
        self.allow(Action.WRITE)
        for digest, data in items:
            check_digest("digest", digest)
            actual = hashlib.sha256(data).hexdigest()
            if actual != digest:
                raise ArtifactCorruptedError(
                    f"blob {digest} in the bundle hashes to {actual}; nothing was stored",
                    details={"digest": digest, "actual": actual},
                )
        sizes = {digest: len(data) for digest, data in items}
        with self._publishing(list(sizes)):
            self.store.put_many(items)
            self.db.run_write(repo.record_blobs, sizes, now_ms())
        return sum(len(data) for _, data in items)

    def put_file(self, source: Path, expected: str | None = None) -> tuple[str, int]:
        """Store a local file (embedded mode); returns (digest, size).  ``expected`` (the
        digest the caller hashed) holds off GC for that content meanwhile."""
        self.allow(Action.WRITE)
        with self._publishing([expected] if expected else []):
            digest, size = self.store.put_file(source)
            self.db.run_write(repo.record_blob, digest, size, now_ms())
        return digest, size

    def put_stream(self, chunks: Iterable[bytes | memoryview]) -> tuple[str, int]:
        """Store content as it arrives (a proxied upload), hashed in the same pass; returns
        (digest, size).  The blob is recorded with the time it was published, so GC's grace
        period covers the moment until the caller declares it."""
        self.allow(Action.WRITE)
        digest, size = self.store.put_stream(chunks)
        self.db.run_write(repo.record_blob, digest, size, now_ms())
        return digest, size

    # -- resumable uploads ------------------------------------------------------------------
    def start_upload(self, digest: str, size: int) -> UploadSession:
        """Start, or find again, the upload of one content."""
        self.allow(Action.WRITE)
        check_digest("digest", digest)
        check_size("size", size)
        with self.db.read() as conn:
            stored = repo.blob_size(conn, digest)
            row = repo.find_upload(conn, digest)
        if stored is not None:
            self.db.run_write(repo.touch_blobs, [digest], now_ms())
            return UploadSession(None, digest, stored, ARTIFACT_PART_SIZE, [], stored=True)
        if row is None:
            upload_id = new_id()
            state = self.store.begin_upload(upload_id, size)
            inserted = self.db.run_write(
                repo.insert_upload, upload_id, digest, size, ARTIFACT_PART_SIZE, state, now_ms()
            )
            if not inserted:  # another client started this content at the same moment
                self.store.abort_upload(upload_id, state)
            with self.db.read() as conn:
                row = repo.find_upload(conn, digest)
            if row is None:  # it completed meanwhile
                return self.start_upload(digest, size)
        if row.store_state.startswith("lease:"):
            raise BlobStoreError(
                f"content {digest} is being stored or garbage-collected right now; try again",
                details={"digest": digest},
            )
        if row.size != size:
            raise InvalidInputError(
                f"size {size} differs from the size {row.size} of the upload in progress for "
                f"content {digest}; one of them is wrong",
                details={"field": "size"},
            )
        return self.get_upload(row.id)

    def get_upload(self, upload_id: str) -> UploadSession:
        self.allow(Action.WRITE)
        with self.db.read() as conn:
            row = repo.get_upload(conn, upload_id)
            if row is None or row.store_state.startswith("lease:"):
                raise UploadNotFoundError(
                    f"upload {upload_id!r} does not exist (completed or never started)",
                    details={"upload_id": upload_id},
                )
            parts = repo.received_parts(conn, upload_id)
        return UploadSession(row.id, row.digest, row.size, row.part_size, parts)

    def put_part(self, upload_id: str, part_number: int, data: memoryview, sha256: str) -> None:
        self.allow(Action.WRITE)
        check_digest("X-Content-SHA256", sha256)
        session = self.get_upload(upload_id)
        if not 1 <= part_number <= session.part_count:
            raise InvalidInputError(
                f"part_number {part_number} is outside 1..{session.part_count} for upload "
                f"{upload_id}",
                details={"field": "part_number", "limit": session.part_count},
            )
        expected = min(session.part_size, session.size - (part_number - 1) * session.part_size)
        if len(data) != expected:
            raise InvalidInputError(
                f"part {part_number} of upload {upload_id} must be {expected} bytes, got "
                f"{len(data)}",
                details={"field": "body", "limit": expected},
            )
        check_part(upload_id, part_number, data, sha256)
        with self.db.read() as conn:
            row = repo.get_upload(conn, upload_id)
        if row is None:
            raise UploadNotFoundError(f"upload {upload_id!r} does not exist")
        offset = (part_number - 1) * session.part_size
        self.store.write_part(upload_id, row.store_state, part_number, offset, data)
        self.db.run_write(repo.record_part, upload_id, part_number, len(data), sha256)

    def complete_upload(self, upload_id: str) -> UploadSession:
        self.allow(Action.WRITE)
        with self.db.read() as conn:
            row = repo.get_upload(conn, upload_id)
        if row is None:
            raise UploadNotFoundError(
                f"upload {upload_id!r} does not exist (completed or never started)",
                details={"upload_id": upload_id},
            )
        session = self.get_upload(upload_id)
        missing = session.missing_parts()
        if missing:
            raise UploadIncompleteError(
                f"upload {upload_id} lacks parts {_ranges(missing)}",
                details={"upload_id": upload_id, "missing_parts": missing[:1000]},
            )
        with self.db.read() as conn:
            paths = repo.pending_paths(conn, session.digest)
        try:
            self.store.complete_upload(
                upload_id, row.store_state, session.digest, session.size, session.part_count
            )
        except ArtifactCorruptedError as exc:
            self.db.run_write(repo.delete_upload, upload_id)
            raise ArtifactCorruptedError(
                f"upload of {', '.join(paths) or 'content ' + session.digest}: {exc.message}",
                details={**exc.details, "paths": paths},
            ) from None
        except (OSError, BlobStoreError):
            # A concurrent complete of the same upload moved the staging object first; only
            # verified bytes are ever published under a digest, so its presence settles it.
            if not self.store.exists(session.digest):
                raise

        def finish(conn: Connection) -> None:
            repo.record_blob(conn, session.digest, session.size, now_ms())
            repo.delete_upload(conn, upload_id)

        self.db.run_write(finish)
        return UploadSession(None, session.digest, session.size, session.part_size, [], True)

    def storage_totals(self) -> tuple[int, int]:
        """(stored blobs, their bytes)."""
        self.allow(Action.ADMIN)
        with self.db.read() as conn:
            return repo.storage_totals(conn)

    # -- garbage collection -----------------------------------------------------------------
    def gc(self, *, grace_ms: int = DEFAULT_GC_GRACE_MS, dry_run: bool = False) -> GcReport:
        """Free blobs no manifest refers to (and nothing has for ``grace_ms``), and abort
        uploads abandoned for a week (services/artifact_gc.py)."""
        self.allow(Action.ADMIN)
        return collect_garbage(
            self.db, self.store, self.principal, grace_ms=grace_ms, dry_run=dry_run
        )


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> '1-3, 7' (at most 20 ranges)."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    out = [str(a) if a == b else f"{a}-{b}" for a, b in spans[:20]]
    return ", ".join(out) + (" …" if len(spans) > 20 else "")
