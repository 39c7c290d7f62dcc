"""Artifacts in the embedded store: content written straight to its blob store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from labledger.core.entities import ArtifactEntry
from labledger.core.errors import ArtifactChangedError
from labledger.sdk.transport.artifacts import ArtifactsTransport

if TYPE_CHECKING:
    from labledger.services.tracker import Tracker


class LocalArtifacts(ArtifactsTransport):
    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    def declare_artifacts(
        self, run_id: str, entries: list[ArtifactEntry]
    ) -> tuple[list[ArtifactEntry], list[str]]:
        return self.tracker.artifacts.declare(run_id, entries)

    def store_content(
        self,
        source: Path,
        digest: str,
        size: int,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        actual, actual_size = self.tracker.artifacts.put_file(source, expected=digest)
        if actual != digest or actual_size != size:
            raise ArtifactChangedError(
                f"{source} changed after it was logged (its bytes no longer match the digest "
                "taken then); log it again, or pass copy=True to snapshot files at log time",
                details={"source": str(source)},
            )
        if progress is not None:
            progress(size)

    def store_small(
        self,
        items: list[tuple[Path, str, int]],
        progress: Callable[[int], None] | None = None,
    ) -> list[Path]:
        changed: list[Path] = []
        for source, digest, size in items:
            try:
                self.store_content(source, digest, size, progress)
            except ArtifactChangedError:
                changed.append(source)
        return changed

    def list_artifacts(self, run_id: str, path: str) -> list[ArtifactEntry]:
        return self.tracker.artifacts.list(run_id, path)

    def latest_checkpoint(self, run_id: str) -> ArtifactEntry | None:
        return self.tracker.artifacts.latest_checkpoint(run_id)

    @contextmanager
    def read_artifact(self, run_id: str, entry: ArtifactEntry) -> Iterator[Iterator[bytes]]:
        stored = self.tracker.artifacts.stored(run_id, entry.path)
        with _closing(self.tracker.artifacts.read(stored.digest)) as chunks:
            yield chunks

    @contextmanager
    def read_archive(self, run_id: str, path: str) -> Iterator[Iterator[bytes]]:
        with _closing(self.tracker.artifacts.archive(run_id, path).chunks) as chunks:
            yield chunks


@contextmanager
def _closing(chunks: Iterator[bytes]) -> Iterator[Iterator[bytes]]:
    """``chunks``, closed afterwards when it can be (a generator holding a file open)."""
    try:
        yield chunks
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
