"""Reading artifacts back: downloads verified on arrival, and a streaming reader verified at
its end.  A mismatch raises ArtifactCorruptedError naming the path; nothing wrong is left
at the destination."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

from labledger.core.artifact_validation import check_artifact_path
from labledger.core.entities import ArtifactEntry, ArtifactState
from labledger.core.errors import (
    ArtifactCorruptedError,
    ArtifactNotFoundError,
    ArtifactPendingError,
)
from labledger.sdk.transport import Transport


def _corrupted(run_id: str, entry: ArtifactEntry, actual: str) -> ArtifactCorruptedError:
    return ArtifactCorruptedError(
        f"artifact {entry.path!r} of run {run_id}: the bytes received hash to {actual}, not "
        f"its digest {entry.digest}; nothing was written",
        details={"path": entry.path, "digest": entry.digest, "actual": actual},
    )


def select_entries(transport: Transport, run_id: str, path: str) -> tuple[list[ArtifactEntry], str]:
    """Entries to fetch for ``path`` (a file or a folder) and the prefix to strip from them."""
    path = check_artifact_path("path", path, allow_empty=True)
    entries = transport.list_artifacts(run_id, path)
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
    threads: int = 4,
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
    targets = [(e, root / (e.path[len(base) + 1 :] if base else e.path)) for e in entries]

    def fetch(item: tuple[ArtifactEntry, Path]) -> None:
        fetch_to(transport, run_id, item[0], item[1], progress)

    if len(targets) == 1:
        fetch(targets[0])
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for _ in pool.map(fetch, targets):
                pass
    if len(entries) == 1 and entries[0].path == path:
        return targets[0][1]
    return root


def fetch_to(
    transport: Transport,
    run_id: str,
    entry: ArtifactEntry,
    target: Path,
    progress: Callable[[int], None] | None = None,
) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    hasher = hashlib.sha256()
    try:
        with transport.read_artifact(run_id, entry) as chunks, open(tmp, "wb") as f:
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


class ArtifactReader(io.RawIOBase):
    """A read-only stream of one artifact; raises ArtifactCorruptedError at the end if the
    bytes do not hash to the artifact's digest."""

    def __init__(self, transport: Transport, run_id: str, entry: ArtifactEntry) -> None:
        super().__init__()
        self.entry = entry
        self.run_id = run_id
        self._stack = ExitStack()
        source: AbstractContextManager[Iterator[bytes]] = transport.read_artifact(run_id, entry)
        self._chunks = self._stack.enter_context(source)
        self._buffer = b""
        self._hasher = hashlib.sha256()
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: memoryview) -> int:  # type: ignore[override]
        while not self._buffer and not self._eof:
            try:
                self._buffer = next(self._chunks)
                self._hasher.update(self._buffer)
            except StopIteration:
                self._eof = True
                actual = self._hasher.hexdigest()
                if actual != self.entry.digest:
                    raise _corrupted(self.run_id, self.entry, actual) from None
        n = min(len(b), len(self._buffer))
        b[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            self._stack.close()
        super().close()
