"""A run's artifacts under a folder as one tar: which members, under which names.

The one place that chooses an archive's members, for the server's download route and the
embedded SDK alike: stored entries under the folder (or the one file the path names),
named relative to the folder; pending entries are left out and counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from labledger.artifacts.archive import tar_stream
from labledger.core.entities import ArtifactEntry, ArtifactState
from labledger.core.errors import ArtifactNotFoundError


@dataclass(frozen=True, slots=True)
class Archive:
    name: str  # a file name for it: the folder's last segment (or the run id) + ".tar"
    members: int  # stored entries in it
    pending: int  # entries left out: their content is not stored yet
    chunks: Iterator[bytes]  # the tar, streamed; each member's SHA-256 in its PAX header


def build_archive(
    run_id: str,
    path: str,
    entries: Sequence[ArtifactEntry],
    read: Callable[[str], Iterator[bytes]],
) -> Archive:
    """``entries`` are the run's entries under ``path`` (the service's listing)."""
    if not entries:
        raise ArtifactNotFoundError(
            f"run {run_id} has no artifacts under {path!r}",
            details={"run_id": run_id, "path": path},
        )
    folder = path.strip("/")
    prefix = f"{folder}/" if folder else ""
    stored = [e for e in entries if e.state is ArtifactState.STORED]
    members = [
        (
            e.path[len(prefix) :] if e.path.startswith(prefix) else e.path.rsplit("/", 1)[-1],
            e.size,
            (e.mtime_ms or e.created_ms) // 1000,
            e.digest,
        )
        for e in stored
    ]
    name = (folder.rsplit("/", 1)[-1] or run_id) + ".tar"
    return Archive(name, len(stored), len(entries) - len(stored), tar_stream(members, read))
