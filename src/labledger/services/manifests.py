"""The rules a run's artifact manifest keeps when entries are declared: a sealed run's
entries cannot change in any field, and a content's size is fixed by its digest."""

from __future__ import annotations

from labledger.core.entities import ArtifactEntry
from labledger.core.errors import InvalidInputError
from labledger.services.sealing import sealed_error
from labledger.store import artifacts as repo
from labledger.store.database import Connection


def _same_entry(a: ArtifactEntry, b: ArtifactEntry) -> bool:
    """Every field a client declares (state and created_ms are the server's)."""
    return (a.path, a.digest, a.size, a.media_type, a.mtime_ms, a.step) == (
        b.path,
        b.digest,
        b.size,
        b.media_type,
        b.mtime_ms,
        b.step,
    )


def held_unchanged(
    conn: Connection, ref_pk: int, run_id: str, entries: list[ArtifactEntry]
) -> list[ArtifactEntry]:
    """A sealed run's manifest is fixed in every field: declaring exactly what it holds is a
    retry (answered with the entries as held, nothing written); anything else is refused."""
    held_entries = []
    for entry in entries:
        held = repo.get_entry(conn, ref_pk, entry.path)
        if held is None:
            raise sealed_error(run_id, f"adding artifact {entry.path!r}")
        if not _same_entry(held, entry):
            raise sealed_error(run_id, f"changing artifact {entry.path!r}")
        held_entries.append(held)
    return held_entries


def check_sizes(conn: Connection, entries: list[ArtifactEntry]) -> None:
    """A content's size is fixed by its digest: an entry may not claim another size than
    the stored blob's, or than the size an upload in progress was started with."""
    known = repo.known_sizes(conn, sorted({e.digest for e in entries}))
    for i, entry in enumerate(entries):
        size = known.get(entry.digest)
        if size is not None and size != entry.size:
            raise InvalidInputError(
                f"artifacts[{i}].size is {entry.size} but content {entry.digest} has {size} bytes",
                details={"field": f"artifacts[{i}].size", "path": entry.path, "size": size},
            )
