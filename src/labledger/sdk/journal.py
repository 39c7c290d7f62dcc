"""The write-ahead journal: what ``log()`` accepted survives a kill of the process.

``log()`` returns in about a microsecond, so it cannot make a system call per point.  It
packs each record into a file mapping (``mmap``, shared): the bytes are in the kernel's page
cache the moment they are stored, so a ``kill -9`` of the training process loses nothing
``log()`` accepted (a power cut can; ``LABLEDGER_SPOOL_FSYNC`` covers the spool, not this).

Files, beside the writer's spool::

    <writer>.journal.<k>   segments of 16 MiB (allocated up front, so a full disk is an
                           error at the next log(), never a SIGBUS): u64 index of the
                           segment's first item, then records: u32 body length (written
                           last), u8 kind, body
    <writer>.jsynced       items before this index were replayed by ``labledger sync``

Kinds: a metric key's id (``u32 id, utf-8 name``), a point row (``i64 step, i64 ts,
u16 n, n x u32 key id, n x f64 value``), params, tags, the environment or a dataset
(JSON).  Items (points, params, tags, environment, datasets)
are numbered from 0 in the order they were logged; the sender tags each spool frame with
the number of items it covers, so after a crash ``sync`` replays the frames and then the
journal's items from where the last frame ended.  Segments every frame covers are deleted
as the run goes; the rest when the writer finishes.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from labledger.core.errors import SpoolWriteError

SEGMENT = 16 << 20
_BASE = struct.Struct("<Q")
_LEN = struct.Struct("<I")
_KEY = struct.Struct("<I")
_ROW_HEAD = struct.Struct("<qqH")
HEADER = _LEN.size + 1  # length, kind

KIND_KEY = 1
KIND_POINTS = 2
KIND_PARAMS = 3
KIND_TAGS = 4
KIND_ENVIRONMENT = 5  # the environment captured by init() (JSON)
KIND_DATASET = 6  # one dataset record, as on the wire (JSON)


class Journal:
    """Appends records to mapped segments.  Only the training thread writes."""

    def __init__(self, run_dir: Path, writer: str) -> None:
        self.run_dir = run_dir
        self.writer = writer
        self.items = 0  # items written so far (the next item's index)
        self._ids: dict[str, int] = {}
        self._shapes: dict[tuple[str, ...], tuple[struct.Struct, tuple[int, ...]]] = {}
        self._segment = -1
        self._segment_bases: dict[int, int] = {}
        self._mm: mmap.mmap | None = None
        self._pos = 0
        self._lock = threading.Lock()  # segment bookkeeping: the sender thread drops segments
        self._open_segment()

    def _open_segment(self) -> None:
        if self._mm is not None:
            self._mm.close()
        self._segment += 1
        path = segment_path(self.run_dir, self.writer, self._segment)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.posix_fallocate(fd, 0, SEGMENT)  # a full disk fails here, not as SIGBUS
                self._mm = mmap.mmap(fd, SEGMENT)
            finally:
                os.close(fd)
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise SpoolWriteError(f"cannot write the journal {path}: {exc}") from exc
        _BASE.pack_into(self._mm, 0, self.items)
        with self._lock:
            self._segment_bases[self._segment] = self.items
        self._pos = _BASE.size
        for key, key_id in self._ids.items():  # each segment can be read without the earlier
            self._write_key(key_id, key)

    def _room(self, size: int) -> mmap.mmap:
        if self._pos + HEADER + size + _LEN.size > SEGMENT:
            self._open_segment()
        assert self._mm is not None
        return self._mm

    def _commit(self, mm: mmap.mmap, kind: int, size: int) -> None:
        mm[self._pos + _LEN.size] = kind
        _LEN.pack_into(mm, self._pos, size)  # last: a record is whole or absent
        self._pos += HEADER + size

    def _key_id(self, key: str) -> int:
        key_id = len(self._ids) + 1
        self._room(_KEY.size + len(key.encode()))  # a new segment repeats the known keys
        self._write_key(key_id, key)
        self._ids[key] = key_id
        return key_id

    def _write_key(self, key_id: int, key: str) -> None:
        name = key.encode()
        mm = self._room(_KEY.size + len(name))
        body = self._pos + HEADER
        _KEY.pack_into(mm, body, key_id)
        mm[body + _KEY.size : body + _KEY.size + len(name)] = name
        self._commit(mm, KIND_KEY, _KEY.size + len(name))

    def points(self, step: int, ts: int, values: dict[str, float]) -> None:
        """The hot path (once per ``log()``): one pack of kind and body, then the length."""
        keys = tuple(values)
        shape = self._shapes.get(keys)
        if shape is None:  # a new set of keys (a loop usually logs the same few every step)
            shape = self._shape(keys)
        row, key_ids = shape
        pos = self._pos
        if pos + _LEN.size + row.size + _LEN.size > SEGMENT:
            self._open_segment()
            pos = self._pos
        mm = self._mm
        assert mm is not None
        row.pack_into(mm, pos + _LEN.size, KIND_POINTS, step, ts, *key_ids, *values.values())
        _LEN.pack_into(mm, pos, row.size - 1)  # last: a record is whole or absent
        self._pos = pos + _LEN.size + row.size
        self.items += 1

    def _shape(self, keys: tuple[str, ...]) -> tuple[struct.Struct, tuple[int, ...]]:
        ids = tuple(self._ids.get(k) or self._key_id(k) for k in keys)
        n = len(keys)
        shape = (struct.Struct(f"<BqqH{n}I{n}d"), (n, *ids))
        self._shapes[keys] = shape
        return shape

    def mapping(self, kind: int, data: dict[str, Any]) -> None:
        body = json.dumps(data, separators=(",", ":")).encode()
        mm = self._room(len(body))
        mm[self._pos + HEADER : self._pos + HEADER + len(body)] = body
        self._commit(mm, kind, len(body))
        self.items += 1

    def covered(self, items: int) -> None:
        """The spool holds every item before ``items``: drop segments wholly before it.
        Called from the sender thread."""
        with self._lock:
            for segment in sorted(self._segment_bases):
                following = self._segment_bases.get(segment + 1)
                if following is None or following > items:
                    break
                segment_path(self.run_dir, self.writer, segment).unlink(missing_ok=True)
                del self._segment_bases[segment]

    def close(self) -> None:
        if self._mm is not None:
            self._mm.close()
            self._mm = None


def segment_path(run_dir: Path, writer: str, k: int) -> Path:
    return run_dir / f"{writer}.journal.{k}"


def segments(run_dir: Path, writer: str) -> list[Path]:
    found = run_dir.glob(f"{writer}.journal.*")
    return sorted(found, key=lambda p: int(p.name.rsplit(".", 1)[1]))


def read_items(run_dir: Path, writer: str, start: int) -> Iterator[tuple[int, int, Any]]:
    """(index, kind, value) of every whole item from ``start`` on: a point row is
    ``(step, ts, {key: value})``, params and tags a dict.  Key records are applied, not
    yielded; a record cut short by the crash ends the journal."""
    for path in segments(run_dir, writer):
        names: dict[int, str] = {}  # every segment starts with the keys known by then
        data = path.read_bytes()
        index = _BASE.unpack_from(data, 0)[0]
        pos = _BASE.size
        while pos + HEADER <= len(data):
            size = _LEN.unpack_from(data, pos)[0]
            if size == 0:
                break
            kind = data[pos + _LEN.size]
            body = data[pos + HEADER : pos + HEADER + size]
            pos += HEADER + size
            if kind == KIND_KEY:
                names[_KEY.unpack_from(body, 0)[0]] = body[_KEY.size :].decode()
                continue
            if index >= start:
                yield index, kind, _decode(kind, body, names)
            index += 1


def _decode(kind: int, body: bytes, names: dict[int, str]) -> Any:
    if kind == KIND_POINTS:
        step, ts, n = _ROW_HEAD.unpack_from(body, 0)
        cols = struct.unpack_from(f"<{n}I{n}d", body, _ROW_HEAD.size)
        return step, ts, {names[cols[i]]: cols[n + i] for i in range(n)}
    return json.loads(body)


def synced_upto(run_dir: Path, writer: str) -> int:
    path = run_dir / f"{writer}.jsynced"
    try:
        return int(path.read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def mark_synced(run_dir: Path, writer: str, upto: int) -> None:
    tmp = run_dir / f"{writer}.jsynced.tmp"
    tmp.write_text(str(upto))
    os.replace(tmp, run_dir / f"{writer}.jsynced")


def remove_journal(run_dir: Path, writer: str) -> None:
    for path in segments(run_dir, writer):
        path.unlink(missing_ok=True)
    (run_dir / f"{writer}.jsynced").unlink(missing_ok=True)
