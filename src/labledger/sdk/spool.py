"""The append-only local spool: every batch lands here before it is sent.

Layout, one folder per run, three files per writer::

    <spool root>/<run id>/<writer>.json       what the run is and where it goes
    <spool root>/<run id>/<writer>.log        frames: u32 length, u32 crc32, JSON payload
    <spool root>/<run id>/<writer>.acks       u64 sequence numbers the target acknowledged
    <spool root>/<run id>/<writer>.artifacts  logged files (see artifact_spool.py)
    <spool root>/<run id>/<writer>.journal.*  every log() call, before it returns (journal.py)

A writer is one process's session on the run; it only ever touches its own files, so
several processes resuming one run never disturb each other.  Frame N has sequence
number N (from 0) and batch id ``<writer>-<N>``, the idempotency key the target uses to
store it exactly once.  After a crash, every frame after the last acknowledged one is
replayed (``pending_frames``).
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labledger.core.errors import SpoolWriteError

_HEADER = struct.Struct("<II")
_ACK = struct.Struct("<Q")


@dataclass(frozen=True, slots=True)
class Frame:
    seq: int
    offset: int
    length: int


class SpoolWriter:
    """Appends frames for one writer and records acknowledgements."""

    def __init__(
        self, run_dir: Path, writer: str, meta: dict[str, Any], *, fsync: bool = False
    ) -> None:
        self.run_dir = run_dir
        self.writer = writer
        self.fsync = fsync
        self.log_path = run_dir / f"{writer}.log"
        self.ack_path = run_dir / f"{writer}.acks"
        self.meta_path = run_dir / f"{writer}.json"
        for attempt in range(20):  # another writer may rmdir the empty folder meanwhile
            try:
                run_dir.mkdir(parents=True, exist_ok=True)
                _write_json(self.meta_path, meta)
                self._log_fd = os.open(self.log_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
                self._ack_fd = os.open(self.ack_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                break
            except FileNotFoundError:
                if attempt == 19:
                    raise
            except OSError as exc:
                raise SpoolWriteError(f"cannot open the spool in {run_dir}: {exc}") from exc
        self._offset = os.fstat(self._log_fd).st_size
        self._seq = 0

    @property
    def next_seq(self) -> int:
        return self._seq

    def batch_id(self, seq: int) -> str:
        return f"{self.writer}-{seq}"

    def append(self, payload: bytes) -> Frame:
        header = _HEADER.pack(len(payload), zlib.crc32(payload))
        try:
            _write_all(self._log_fd, header + payload)
            if self.fsync:
                os.fsync(self._log_fd)
        except OSError as exc:
            raise SpoolWriteError(f"cannot write the spool {self.log_path}: {exc}") from exc
        frame = Frame(self._seq, self._offset + _HEADER.size, len(payload))
        self._offset += _HEADER.size + len(payload)
        self._seq += 1
        return frame

    def read(self, frame: Frame) -> bytes:
        return os.pread(self._log_fd, frame.length, frame.offset)

    def ack(self, seq: int) -> None:
        try:
            _write_all(self._ack_fd, _ACK.pack(seq))
            if self.fsync:
                os.fsync(self._ack_fd)
        except OSError as exc:
            raise SpoolWriteError(f"cannot write the spool {self.ack_path}: {exc}") from exc

    def sync(self) -> None:
        os.fsync(self._log_fd)
        os.fsync(self._ack_fd)

    def update_meta(self, **fields: Any) -> None:
        meta = read_writer_meta(self.log_path)
        meta.update(fields)
        _write_json(self.meta_path, meta)

    def close(self) -> None:
        """Close; remove this writer's files if every frame was acknowledged."""
        os.close(self._log_fd)
        os.close(self._ack_fd)
        remove_writer_if_done(self.log_path)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError("short write to the spool")
        view = view[written:]


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def read_writer_meta(log_path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(log_path.with_suffix(".json").read_text())
    return data


def acked_seqs(ack_path: Path) -> set[int]:
    if not ack_path.exists():
        return set()
    raw = ack_path.read_bytes()
    usable = len(raw) - len(raw) % _ACK.size  # a torn last write is ignored
    return {_ACK.unpack_from(raw, i)[0] for i in range(0, usable, _ACK.size)}


def pending_frames(log_path: Path) -> Iterator[tuple[int, bytes]]:
    """(seq, payload) of every complete, intact frame not acknowledged yet."""
    acked = acked_seqs(log_path.with_suffix(".acks"))
    data = log_path.read_bytes()
    pos, seq = 0, 0
    while pos + _HEADER.size <= len(data):
        length, crc = _HEADER.unpack_from(data, pos)
        start = pos + _HEADER.size
        payload = data[start : start + length]
        if len(payload) < length or zlib.crc32(payload) != crc:
            break  # torn tail from a crash mid-write: that batch was never acknowledged
        if seq not in acked:
            yield seq, payload
        pos, seq = start + length, seq + 1


def frames_cover(log_path: Path) -> int:
    """How many journal items the writer's intact frames hold: the count the last intact
    frame's batch id ends with (``<writer>-<seq>.<items>``); 0 without frames."""
    if not log_path.exists():
        return 0
    data = log_path.read_bytes()
    pos, last = 0, None
    while pos + _HEADER.size <= len(data):
        length, crc = _HEADER.unpack_from(data, pos)
        start = pos + _HEADER.size
        payload = data[start : start + length]
        if len(payload) < length or zlib.crc32(payload) != crc:
            break
        last, pos = payload, start + length
    if last is None:
        return 0
    try:
        batch_id = str(json.loads(last).get("batch_id", ""))
    except (ValueError, AttributeError):
        return 0  # not a batch this SDK wrote
    _, _, items = batch_id.rpartition(".")
    return int(items) if items.isdigit() else 0


def journal_start(log_path: Path) -> int:
    """The first journal item neither a frame nor an earlier sync has sent."""
    from labledger.sdk.journal import synced_upto

    return max(frames_cover(log_path), synced_upto(log_path.parent, log_path.stem))


def remove_writer_if_done(log_path: Path) -> bool:
    """Delete one writer's files once nothing is pending, then its run folder if empty."""
    from labledger.sdk.artifact_spool import pending_records, remove_artifact_files
    from labledger.sdk.journal import read_items, remove_journal

    if any(True for _ in pending_frames(log_path)):
        return False
    records = log_path.with_suffix(".artifacts")
    if pending_records(records):
        return False
    run_dir, writer = log_path.parent, log_path.stem
    if any(True for _ in read_items(run_dir, writer, journal_start(log_path))):
        return False  # logged, never spooled: the process died; sync sends these
    remove_journal(run_dir, writer)
    remove_artifact_files(records)
    for suffix in (".log", ".acks", ".json"):
        log_path.with_suffix(suffix).unlink(missing_ok=True)
    try:
        log_path.parent.rmdir()  # fails harmlessly while another writer has files there
    except OSError:
        pass
    return True
