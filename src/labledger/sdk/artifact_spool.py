"""The artifact half of the spool: which files a run logged, and which of them are confirmed.

Beside a writer's frame log (see spool.py)::

    <spool root>/<run id>/<writer>.artifacts     JSON lines, one record per logged file
    <spool root>/<run id>/<writer>.artdone       JSON lines: numbers of confirmed records
    <spool root>/<run id>/<writer>.files/<n>     snapshots taken with copy=True

A record is appended (and the call returns) before any upload starts; it is marked done
once the server (or embedded store) confirmed the entry with its content.  ``labledger sync``
uploads whatever is not done, after any outage or crash.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from labledger.core.errors import SpoolWriteError as ArtifactSpoolError


@dataclass(frozen=True, slots=True)
class ArtifactRecord:
    n: int
    source: str  # absolute path of the file to upload (a snapshot when copied)
    path: str  # logical path in the run's manifest
    size: int
    mtime_ns: int
    media_type: str
    step: int | None = None
    copied: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))


class ArtifactSpool:
    """Append-only record of logged files for one writer; safe to use from several threads."""

    def __init__(self, run_dir: Path, writer: str, *, fsync: bool = False) -> None:
        self.run_dir = run_dir
        self.records_path = run_dir / f"{writer}.artifacts"
        self.done_path = run_dir / f"{writer}.artdone"
        self.files_dir = run_dir / f"{writer}.files"
        self.fsync = fsync
        self._lock = threading.Lock()
        self._next = len(read_records(self.records_path)) if self.records_path.exists() else 0

    def reserve(self, count: int) -> int:
        """Numbers for ``count`` new records; returns the first."""
        with self._lock:
            first = self._next
            self._next += count
            return first

    def snapshot(self, n: int, source: Path) -> Path:
        """Copy a file into the spool now, so later changes to it do not matter."""
        self.files_dir.mkdir(parents=True, exist_ok=True)
        dest = self.files_dir / str(n)
        try:
            shutil.copyfile(source, dest)
        except OSError as exc:
            raise ArtifactSpoolError(f"cannot copy {source} into the spool: {exc}") from exc
        return dest

    def append(self, records: list[ArtifactRecord]) -> None:
        data = "".join(r.to_json() + "\n" for r in records)
        self._append(self.records_path, data)

    def mark_done(self, records: list[ArtifactRecord]) -> None:
        self._append(self.done_path, "".join(f"{r.n}\n" for r in records))
        for r in records:
            if r.copied:
                Path(r.source).unlink(missing_ok=True)

    def _append(self, path: Path, data: str) -> None:
        with self._lock:
            try:
                self.run_dir.mkdir(parents=True, exist_ok=True)
                with open(path, "a", encoding="utf-8") as f:
                    f.write(data)
                    f.flush()
                    if self.fsync:
                        os.fsync(f.fileno())
            except OSError as exc:
                raise ArtifactSpoolError(f"cannot write the spool {path}: {exc}") from exc


def read_records(records_path: Path) -> list[ArtifactRecord]:
    out: list[ArtifactRecord] = []
    if not records_path.exists():
        return out
    for line in records_path.read_text(encoding="utf-8").splitlines():
        try:
            data: dict[str, Any] = json.loads(line)
            out.append(ArtifactRecord(**data))
        except (ValueError, TypeError):
            break  # a torn last line from a crash mid-write: that call never returned
    return out


def pending_records(records_path: Path) -> list[ArtifactRecord]:
    done_path = records_path.with_suffix(".artdone")
    done: set[int] = set()
    if done_path.exists():
        for line in done_path.read_text(encoding="utf-8").splitlines():
            if line.strip().isdigit():
                done.add(int(line))
    return [r for r in read_records(records_path) if r.n not in done]


def remove_artifact_files(records_path: Path) -> None:
    records_path.unlink(missing_ok=True)
    records_path.with_suffix(".artdone").unlink(missing_ok=True)
    shutil.rmtree(records_path.with_suffix(".files"), ignore_errors=True)
