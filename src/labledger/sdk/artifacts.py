"""Logging files from the training process: record in the spool now, upload in the background.

``log_artifact`` stats the files, appends one record per file to the spool and returns.
Upload threads take records in groups: hash each file (streaming SHA-256), declare the
group's entries in one request, send only the contents the target lacks, then mark the
records done.  A retryable failure (server or store down) keeps the group and retries it
with backoff; records not done when the process ends are sent by ``labledger sync``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from labledger.core.artifact_validation import media_type_for
from labledger.core.entities import ArtifactEntry
from labledger.core.errors import (
    ArtifactChangedError,
    TrackerError,
    TransportError,
)
from labledger.sdk.artifact_files import expand
from labledger.sdk.artifact_spool import ArtifactRecord, ArtifactSpool
from labledger.sdk.transport import Transport

log = logging.getLogger("labledger.sdk")

GROUP_MAX_FILES = 500
GROUP_MAX_BYTES = 256 << 20
MAX_BACKOFF_S = 5.0
HASH_CHUNK = 1 << 20
SMALL_BLOB = 1 << 20  # files up to this size travel bundled, many per request
BUNDLE_BYTES = 8 << 20
BUNDLE_FILES = 1000


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, TransportError) or (
        isinstance(exc, TrackerError) and exc.http_status >= 500
    )


def hash_record(record: ArtifactRecord) -> str:
    """SHA-256 of the record's file, refusing a file that changed since it was logged."""
    source = Path(record.source)
    try:
        before = source.stat()
        if before.st_size != record.size or before.st_mtime_ns != record.mtime_ns:
            raise _changed(record)
        hasher = hashlib.sha256()
        buf = memoryview(bytearray(HASH_CHUNK))  # reused: hashing allocates nothing per chunk
        with open(source, "rb", buffering=0) as f:
            while n := f.readinto(buf):
                hasher.update(buf[:n])
        after = source.stat()
    except FileNotFoundError:
        raise ArtifactChangedError(
            f"artifact {record.path!r}: {source} was removed before it was uploaded; "
            "pass copy=True to snapshot files at log time",
            details={"path": record.path, "source": str(source)},
        ) from None
    if after.st_size != record.size or after.st_mtime_ns != record.mtime_ns:
        raise _changed(record)
    return hasher.hexdigest()


def _changed(record: ArtifactRecord) -> ArtifactChangedError:
    return ArtifactChangedError(
        f"artifact {record.path!r}: {record.source} changed after it was logged; log it "
        "again, or pass copy=True to snapshot files at log time",
        details={"path": record.path, "source": record.source},
    )


def upload_group(
    transport: Transport,
    run_id: str,
    records: list[ArtifactRecord],
    digests: dict[int, str],
    progress: Callable[[int], None] | None = None,
) -> list[TrackerError]:
    """Declare and upload one group.  Returns per-file errors (those records are finished
    with); raises a retryable error to have the whole group tried again."""
    errors: list[TrackerError] = []
    usable: list[ArtifactRecord] = []
    for record in records:
        if record.n not in digests:
            try:
                digests[record.n] = hash_record(record)
            except ArtifactChangedError as exc:
                errors.append(exc)
                continue
        usable.append(record)
    if not usable:
        return errors
    entries = [
        ArtifactEntry(
            path=r.path,
            digest=digests[r.n],
            size=r.size,
            media_type=r.media_type,
            mtime_ms=r.mtime_ns // 1_000_000,
            step=r.step,
        )
        for r in usable
    ]
    _, missing = transport.artifacts.declare_artifacts(run_id, entries)
    by_digest = {digests[r.n]: r for r in usable}
    small = [by_digest[d] for d in missing if by_digest[d].size <= SMALL_BLOB]
    for record in (by_digest[d] for d in missing if by_digest[d].size > SMALL_BLOB):
        try:
            transport.artifacts.store_content(
                Path(record.source), digests[record.n], record.size, progress
            )
        except ArtifactChangedError:
            errors.append(_changed(record))
    for bundle in _bundles(small):
        by_source = {r.source: r for r in bundle}
        items = [(Path(r.source), digests[r.n], r.size) for r in bundle]
        for source in transport.artifacts.store_small(items, progress):
            errors.append(_changed(by_source[str(source)]))
    return errors


def _bundles(records: list[ArtifactRecord]) -> Iterator[list[ArtifactRecord]]:
    """Small files grouped into requests of at most BUNDLE_BYTES (and BUNDLE_FILES)."""
    bundle: list[ArtifactRecord] = []
    size = 0
    for record in records:
        if bundle and (size + record.size > BUNDLE_BYTES or len(bundle) >= BUNDLE_FILES):
            yield bundle
            bundle, size = [], 0
        bundle.append(record)
        size += record.size
    if bundle:
        yield bundle


class ArtifactUploader:
    """Background upload threads for one run (started on the first logged file)."""

    def __init__(
        self,
        run_id: str,
        transport: Transport,
        spool: ArtifactSpool,
        threads: int = 4,
        *,
        offline: bool = False,
    ) -> None:
        self.run_id = run_id
        self.transport = transport
        self.spool = spool
        self.threads = max(1, threads)
        self.offline = offline  # records stay in the spool for `labledger sync`
        self.error: TrackerError | None = None
        self._queue: queue.Queue[ArtifactRecord | None] = queue.Queue()
        self._workers: list[threading.Thread] = []
        self._outstanding = 0
        self._cond = threading.Condition()
        self._stop = False
        self.files_uploaded = 0

    # -- called from the training thread -----------------------------------------------------
    def log(
        self,
        local: str | os.PathLike[str],
        path: str | None,
        *,
        step: int | None = None,
        copy: bool = False,
        follow_symlinks: bool = False,
    ) -> list[str]:
        pairs = expand(local, path, follow_symlinks=follow_symlinks)
        first = self.spool.reserve(len(pairs))
        records = []
        for i, (file, logical) in enumerate(pairs):
            n = first + i
            stat = file.stat()
            source = self.spool.snapshot(n, file) if copy else file.resolve()
            if copy:
                stat = source.stat()
            records.append(
                ArtifactRecord(
                    n=n,
                    source=str(source),
                    path=logical,
                    size=stat.st_size,
                    mtime_ns=stat.st_mtime_ns,
                    media_type=media_type_for(logical),
                    step=step,
                    copied=copy,
                )
            )
        self.spool.append(records)
        if self.offline:
            return [r.path for r in records]
        with self._cond:
            self._outstanding += len(records)
        self._start_workers()
        for record in records:
            self._queue.put(record)
        return [r.path for r in records]

    def _start_workers(self) -> None:
        if self._workers:
            return
        for i in range(self.threads):
            t = threading.Thread(
                target=self._loop, name=f"labledger-upload-{self.run_id[:8]}-{i}", daemon=True
            )
            t.start()
            self._workers.append(t)

    @property
    def outstanding(self) -> int:
        return self._outstanding

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every logged file is confirmed (or given up with an error)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._outstanding:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining if remaining is not None else 0.5)
        return True

    def close(self, timeout: float | None = None) -> bool:
        ok = self.wait(timeout)
        self._stop = True
        for _ in self._workers:
            self._queue.put(None)
        for t in self._workers:
            t.join(timeout=5)
        return ok

    # -- upload threads ---------------------------------------------------------------------
    def _take_group(self, first: ArtifactRecord) -> list[ArtifactRecord]:
        group = [first]
        size = first.size
        while len(group) < GROUP_MAX_FILES and size < GROUP_MAX_BYTES:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)  # leave the stop signal for this thread's next get
                break
            group.append(item)
            size += item.size
        return group

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = self._take_group(first)
            try:
                self._upload_with_retries(group)
            except BaseException as exc:  # noqa: BLE001 - a bug must not hang finish()
                log.exception("artifact upload stopped")
                self.error = exc if isinstance(exc, TrackerError) else TrackerError(repr(exc))
                self._finished(group, mark=False)

    def _upload_with_retries(self, group: list[ArtifactRecord]) -> None:
        digests: dict[int, str] = {}
        backoff = 0.0
        while True:
            try:
                errors = upload_group(self.transport, self.run_id, group, digests)
            except TrackerError as exc:
                if not _retryable(exc):
                    log.error("artifacts were rejected: %s", exc)
                    self.error = exc
                    self._finished(group, mark=True)
                    return
                if self._stop:
                    self._finished(group, mark=False)  # stays in the spool for sync
                    return
                backoff = min(MAX_BACKOFF_S, backoff * 2 or 0.1)
                log.warning("artifact upload failed, will retry in %.1fs: %s", backoff, exc)
                time.sleep(backoff)
                continue
            for error in errors:
                log.error("artifact not uploaded: %s", error)
                self.error = error
            self.files_uploaded += len(group) - len(errors)
            self._finished(group, mark=True)
            return

    def _finished(self, group: list[ArtifactRecord], *, mark: bool) -> None:
        if mark:
            try:
                self.spool.mark_done(group)
            except TrackerError as exc:
                self.error = exc
        with self._cond:
            self._outstanding -= len(group)
            self._cond.notify_all()
