"""Reading artifacts back: downloads verified on arrival, and a streaming reader verified at
its end.  A mismatch raises ArtifactCorruptedError naming the path; nothing wrong is left
at the destination."""

from __future__ import annotations

import hashlib
import io
import os
import queue
import tarfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import IO, Any

from labledger.core.artifact_validation import check_artifact_path
from labledger.core.entities import ArtifactEntry, ArtifactState
from labledger.core.errors import (
    ArtifactCorruptedError,
    ArtifactNotFoundError,
    ArtifactPendingError,
)
from labledger.sdk.transport import Transport

PIPELINE_MIN = 8 << 20  # files this large are received and written by two threads


def _corrupted(
    run_id: str, entry: ArtifactEntry, actual: str, outcome: str = "nothing was written"
) -> ArtifactCorruptedError:
    return ArtifactCorruptedError(
        f"artifact {entry.path!r} of run {run_id}: the bytes received hash to {actual}, not "
        f"its digest {entry.digest}; {outcome}",
        details={"path": entry.path, "digest": entry.digest, "actual": actual},
    )


def select_entries(transport: Transport, run_id: str, path: str) -> tuple[list[ArtifactEntry], str]:
    """Entries to fetch for ``path`` (a file or a folder) and the prefix to strip from them."""
    path = check_artifact_path("path", path, allow_empty=True)
    entries = transport.artifacts.list_artifacts(run_id, path)
    if not entries:
        raise ArtifactNotFoundError(
            f"run {run_id} has no artifact at {path!r}", details={"run_id": run_id, "path": path}
        )
    if len(entries) == 1 and entries[0].path == path:
        base = path.rsplit("/", 1)[0] if "/" in path else ""
        return entries, base
    return [e for e in entries if e.path != path], path


def download(
    transport: Transport,
    run_id: str,
    path: str,
    dest: str | os.PathLike[str],
    *,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Fetch a file (to ``dest/<name>``) or a folder (to ``dest/<paths inside it>``)."""
    entries, base = select_entries(transport, run_id, path)
    pending = [e.path for e in entries if e.state is not ArtifactState.STORED]
    if pending:
        raise ArtifactPendingError(
            f"run {run_id}: {len(pending)} artifacts are still pending (upload not complete): "
            + ", ".join(pending[:5]),
            details={"run_id": run_id, "paths": pending[:100]},
        )
    root = Path(dest)
    if len(entries) == 1 and entries[0].path == path:
        target = root / path.rsplit("/", 1)[-1]
        fetch_to(transport, run_id, entries[0], target, progress)
        return target
    fetch_archive(transport, run_id, base, entries, root, progress)
    return root


def fetch_archive(
    transport: Transport,
    run_id: str,
    base: str,
    entries: list[ArtifactEntry],
    root: Path,
    progress: Callable[[int], None] | None = None,
) -> None:
    """A folder in one streamed tar: each member checked against the manifest's digest."""
    expected = {(e.path[len(base) + 1 :] if base else e.path): e for e in entries}
    seen: set[str] = set()
    top = root.resolve()
    with transport.artifacts.read_archive(run_id, base) as chunks:
        stream = io.BufferedReader(_ChunkReader(chunks), 1 << 20)
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                entry = expected.get(member.name)
                target = (root / member.name).resolve()
                if entry is None or not member.isfile() or top not in target.parents:
                    raise ArtifactCorruptedError(
                        f"run {run_id}: the archive holds {member.name!r}, which the manifest "
                        "does not list; nothing more was written",
                        details={"path": member.name},
                    )
                source = tar.extractfile(member)
                assert source is not None  # a regular file always has a reader
                _write_verified(run_id, entry, target, _read_chunks(source), progress)
                seen.add(member.name)
    missing = sorted(set(expected) - seen)
    if missing:
        raise ArtifactNotFoundError(
            f"run {run_id}: {len(missing)} artifacts were not in the archive: "
            + ", ".join(missing[:5]),
            details={"paths": missing[:100]},
        )


def _read_chunks(f: IO[bytes]) -> Iterator[bytes]:
    while chunk := f.read(1 << 20):
        yield chunk


class _ChunkReader(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: memoryview) -> int:  # type: ignore[override]
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buffer))
        b[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def fetch_to(
    transport: Transport,
    run_id: str,
    entry: ArtifactEntry,
    target: Path,
    progress: Callable[[int], None] | None = None,
) -> None:
    with transport.artifacts.read_artifact(run_id, entry) as chunks:
        _write_verified(run_id, entry, target, chunks, progress)


def _write_verified(
    run_id: str,
    entry: ArtifactEntry,
    target: Path,
    chunks: Iterator[bytes],
    progress: Callable[[int], None] | None,
) -> None:
    """Write to a temporary name while hashing; rename into place only on a match."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    hasher = hashlib.sha256()
    try:
        with open(tmp, "wb") as f:
            if entry.size >= PIPELINE_MIN:
                _pipelined(chunks, f, hasher, progress)
            else:
                for chunk in chunks:
                    hasher.update(chunk)
                    f.write(chunk)
                    if progress is not None:
                        progress(len(chunk))
        actual = hasher.hexdigest()
        if actual != entry.digest:
            raise _corrupted(run_id, entry, actual)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _pipelined(
    chunks: Iterator[bytes],
    f: IO[bytes],
    hasher: Any,
    progress: Callable[[int], None] | None,
) -> None:
    """Receive in this thread while another hashes and writes (both release the GIL), in
    batches of about 1 MiB; at most 16 batches wait, so memory stays bounded."""
    batches: queue.Queue[list[bytes] | None] = queue.Queue(maxsize=16)
    failed: list[BaseException] = []

    def sink() -> None:
        while (batch := batches.get()) is not None:
            if failed:
                continue
            try:
                for chunk in batch:
                    hasher.update(chunk)
                    f.write(chunk)
            except BaseException as exc:  # noqa: BLE001 - handed to the receiving thread
                failed.append(exc)

    worker = threading.Thread(target=sink, name="labledger-download-sink", daemon=True)
    worker.start()
    try:
        batch: list[bytes] = []
        size = 0
        for chunk in chunks:
            batch.append(chunk)
            size += len(chunk)
            if size >= 1 << 20:
                if failed:
                    break
                batches.put(batch)
                if progress is not None:
                    progress(size)
                batch, size = [], 0
        if batch:
            batches.put(batch)
            if progress is not None:
                progress(size)
    finally:
        batches.put(None)
        worker.join()
    if failed:
        raise failed[0]


_STREAM_OUTCOME = "discard every byte read from this stream"


class ArtifactReader(io.RawIOBase):
    """A read-only stream of one artifact, hashed as it is read.  If the bytes do not hash
    to the artifact's digest, the read that reaches the end raises ArtifactCorruptedError
    instead of returning end-of-file, and so does every read after it.  Bytes returned
    before the end are not verified yet: use them only once the end was reached without an
    error (or download to a path, which renames a file into place only after a match)."""

    def __init__(self, transport: Transport, run_id: str, entry: ArtifactEntry) -> None:
        super().__init__()
        self.entry = entry
        self.run_id = run_id
        self._stack = ExitStack()
        source: AbstractContextManager[Iterator[bytes]] = transport.artifacts.read_artifact(
            run_id, entry
        )
        self._chunks = self._stack.enter_context(source)
        self._buffer = b""
        self._hasher = hashlib.sha256()
        self._eof = False
        self._mismatch: str | None = None  # what the bytes hashed to, when not the digest

    def readable(self) -> bool:
        return True

    def readinto(self, b: memoryview) -> int:  # type: ignore[override]
        if self._mismatch is not None:  # a corrupted stream never ends in a clean EOF
            raise _corrupted(self.run_id, self.entry, self._mismatch, _STREAM_OUTCOME)
        while not self._buffer and not self._eof:
            try:
                self._buffer = next(self._chunks)
                self._hasher.update(self._buffer)
            except StopIteration:
                self._eof = True
                actual = self._hasher.hexdigest()
                if actual != self.entry.digest:
                    self._mismatch = actual
                    raise _corrupted(self.run_id, self.entry, actual, _STREAM_OUTCOME) from None
        n = min(len(b), len(self._buffer))
        b[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            self._stack.close()
        super().close()
