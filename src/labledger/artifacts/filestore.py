"""Blobs in a folder: ``<root>/sha256/ab/cd/<digest>``, uploads staged in ``<root>/uploads``.

Writes go to a staging file that is hashed, fsynced and renamed into place; a rename is
atomic, so a reader sees a whole verified blob or none.  Multipart parts are written at
their offset in one staging file; it is fsynced and hashed once, on complete.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import sys
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from labledger.artifacts.blobstore import CHUNK, blob_key, digest_mismatch
from labledger.core.errors import BlobStoreError


class FileBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.uri = root.as_uri()
        self._staging = root / "staging"
        self._uploads = root / "uploads"

    def _path(self, digest: str) -> Path:
        return self.root / blob_key(digest)

    def exists(self, digest: str) -> bool:
        return self._path(digest).is_file()

    def size(self, digest: str) -> int | None:
        try:
            return self._path(digest).stat().st_size
        except FileNotFoundError:
            return None

    def local_path(self, digest: str) -> Path | None:
        path = self._path(digest)
        return path if path.is_file() else None

    def read(self, digest: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        with open(self._path(digest), "rb") as f:
            f.seek(start)
            remaining = None if end is None else end - start
            while remaining is None or remaining > 0:
                chunk = f.read(CHUNK if remaining is None else min(CHUNK, remaining))
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def _stage(self) -> Path:
        self._staging.mkdir(parents=True, exist_ok=True)
        return self._staging / f"{uuid.uuid4().hex}.tmp"

    def _publish(self, staged: Path, digest: str) -> None:
        final = self._path(digest)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, final)  # identical content if it already existed
        _fsync_dir(final.parent)

    def put(self, digest: str, chunks: Iterable[bytes | memoryview]) -> int:
        staged = self._stage()
        hasher = hashlib.sha256()
        size = 0
        try:
            with open(staged, "wb") as f:
                for chunk in chunks:
                    hasher.update(chunk)
                    f.write(chunk)
                    size += len(chunk)
                f.flush()
                os.fsync(f.fileno())
            actual = hasher.hexdigest()
            if actual != digest:
                raise digest_mismatch(digest, actual, f"blob {digest}")
            self._publish(staged, digest)
        finally:
            staged.unlink(missing_ok=True)
        return size

    def put_many(self, items: Sequence[tuple[str, bytes | memoryview]]) -> None:
        """Store verified small blobs with two flushes for the whole batch instead of two
        fsyncs per blob: write all, flush, rename all, flush the renames."""
        staged: list[tuple[Path, str]] = []
        try:
            for digest, data in items:
                path = self._stage()
                staged.append((path, digest))
                with open(path, "wb") as f:
                    f.write(data)
            if not _syncfs(self.root):
                for path, _ in staged:
                    _fsync_path(path)
            for path, digest in staged:
                final = self._path(digest)
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, final)
            if not _syncfs(self.root):
                for parent in {self._path(d).parent for _, d in staged}:
                    _fsync_dir(parent)
        finally:
            for path, _ in staged:
                path.unlink(missing_ok=True)

    def put_file(self, source: Path) -> tuple[str, int]:
        return self.put_stream(_chunks_of(source))

    def put_stream(self, chunks: Iterable[bytes | memoryview]) -> tuple[str, int]:
        """One pass: written to a staging file while hashed, fsynced, renamed to its digest."""
        staged = self._stage()
        hasher = hashlib.sha256()
        size = 0
        try:
            with open(staged, "wb") as dst:
                for chunk in chunks:
                    hasher.update(chunk)
                    dst.write(chunk)
                    size += len(chunk)
                dst.flush()
                os.fsync(dst.fileno())
            digest = hasher.hexdigest()
            if self.exists(digest):
                return digest, size
            self._publish(staged, digest)
            return digest, size
        finally:
            staged.unlink(missing_ok=True)

    def delete(self, digest: str) -> None:
        self._path(digest).unlink(missing_ok=True)

    def iter_digests(self) -> Iterator[str]:
        base = self.root / "sha256"
        if not base.is_dir():
            return
        for path in base.glob("*/*/*"):
            if path.is_file() and len(path.name) == 64:
                yield path.name

    # -- multipart ----------------------------------------------------------------------------
    def _upload_path(self, upload_id: str) -> Path:
        return self._uploads / upload_id

    def begin_upload(self, upload_id: str, size: int) -> str:
        self._uploads.mkdir(parents=True, exist_ok=True)
        with open(self._upload_path(upload_id), "ab") as f:
            f.truncate(size)
        return ""

    def write_part(
        self, upload_id: str, state: str, part_number: int, offset: int, data: memoryview
    ) -> None:
        del state, part_number
        fd = os.open(self._upload_path(upload_id), os.O_WRONLY)
        try:
            view = data
            pos = offset
            while view:
                written = os.pwrite(fd, view, pos)
                view = view[written:]
                pos += written
        finally:
            os.close(fd)

    def complete_upload(
        self, upload_id: str, state: str, digest: str, size: int, part_count: int
    ) -> None:
        del state, part_count
        staged = self._upload_path(upload_id)
        hasher = hashlib.sha256()
        length = 0
        with open(staged, "rb") as f:
            os.fsync(f.fileno())
            while chunk := f.read(CHUNK):
                hasher.update(chunk)
                length += len(chunk)
        actual = hasher.hexdigest()
        if actual != digest or length != size:
            staged.unlink(missing_ok=True)
            raise digest_mismatch(digest, actual, f"upload {upload_id}")
        self._publish(staged, digest)

    def abort_upload(self, upload_id: str, state: str) -> None:
        del state
        self._upload_path(upload_id).unlink(missing_ok=True)

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self._stage()
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise BlobStoreError(f"the artifact folder {self.root} is not writable: {exc}") from exc


def _chunks_of(source: Path) -> Iterator[bytes]:
    with open(source, "rb") as src:
        while chunk := src.read(CHUNK):
            yield chunk


def _syncfs(path: Path) -> bool:
    """Flush every dirty file of the filesystem holding ``path`` in one call (Linux's
    syncfs); False where it is not available."""
    libc = _libc()
    if libc is None:
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        return bool(libc.syncfs(fd) == 0)
    finally:
        os.close(fd)


@functools.cache
def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc if hasattr(libc, "syncfs") else None
    except OSError:
        return None


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
