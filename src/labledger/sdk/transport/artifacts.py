"""Artifacts: manifest entries, content stored once by digest, streamed back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from labledger.core.entities import ArtifactEntry


class ArtifactsTransport(Protocol):
    def declare_artifacts(
        self, run_id: str, entries: list[ArtifactEntry]
    ) -> tuple[list[ArtifactEntry], list[str]]:
        """Record manifest entries; returns them with their state and the digests to send."""
        ...

    def store_content(
        self,
        source: Path,
        digest: str,
        size: int,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Store a file's bytes as content ``digest`` (ArtifactChangedError if they differ)."""
        ...

    def store_small(
        self,
        items: list[tuple[Path, str, int]],
        progress: Callable[[int], None] | None = None,
    ) -> list[Path]:
        """Store several small files (source, digest, size) at once; returns the sources
        that changed since they were hashed (not stored)."""
        ...

    def list_artifacts(self, run_id: str, path: str) -> list[ArtifactEntry]: ...

    def latest_checkpoint(self, run_id: str) -> ArtifactEntry | None: ...

    def read_artifact(
        self, run_id: str, entry: ArtifactEntry
    ) -> AbstractContextManager[Iterator[bytes]]:
        """The stored bytes of an entry, streamed (not verified: callers hash them)."""
        ...

    def read_archive(self, run_id: str, path: str) -> AbstractContextManager[Iterator[bytes]]:
        """Every stored artifact under ``path`` as a tar stream (names relative to it)."""
        ...
