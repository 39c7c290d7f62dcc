"""Artifacts over HTTP: declare, upload (single request or resumable multipart), list,
stream."""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from labledger.core.entities import ArtifactEntry, ArtifactState, UploadSession
from labledger.core.errors import (
    ArtifactChangedError,
    ArtifactCorruptedError,
    TransportError,
    UploadNotFoundError,
)
from labledger.core.limits import ARTIFACT_PART_SIZE
from labledger.sdk.transport.artifacts import ArtifactsTransport
from labledger.sdk.transport.http import HttpConnection

READ_CHUNK = 256 << 10
BUNDLE_HEADER = struct.Struct(">32sQ")  # per blob in POST /api/v1/blobs: sha256, size


def entry_from_wire(data: dict[str, Any]) -> ArtifactEntry:
    return ArtifactEntry(
        path=data["path"],
        digest=data["digest"],
        size=data["size"],
        media_type=data["media_type"],
        mtime_ms=data.get("mtime_ms"),
        step=data.get("step"),
        state=ArtifactState(data["state"]),
        created_ms=data.get("created_ms", 0),
    )


def _session(data: dict[str, Any]) -> UploadSession:
    return UploadSession(
        data["upload_id"],
        data["digest"],
        data["size"],
        data["part_size"],
        data["parts"],
        data["stored"],
    )


def _changed(source: Path) -> ArtifactChangedError:
    return ArtifactChangedError(
        f"{source} changed after it was logged (its bytes no longer match the digest taken "
        "then); log it again, or pass copy=True to snapshot files at log time",
        details={"source": str(source)},
    )


def _chunks(fd: int, offset: int, length: int) -> Iterator[bytes]:
    """Bytes ``[offset, offset + length)`` of a file in 1 MiB chunks (a part is never held
    whole in memory)."""
    end = offset + length
    while offset < end:
        chunk = os.pread(fd, min(READ_CHUNK, end - offset), offset)
        if not chunk:
            raise OSError("the file became shorter while it was being uploaded")
        offset += len(chunk)
        yield chunk


def _range_sha256(fd: int, offset: int, length: int) -> str:
    """SHA-256 of a byte range, read into one reused buffer (no allocation per chunk)."""
    hasher = hashlib.sha256()
    buf = bytearray(READ_CHUNK)
    view = memoryview(buf)
    end = offset + length
    while offset < end:
        n = os.preadv(fd, [view[: min(READ_CHUNK, end - offset)]], offset)
        if n <= 0:
            raise OSError("the file became shorter while it was being uploaded")
        hasher.update(view[:n])
        offset += n
    return hasher.hexdigest()


class HttpArtifacts(ArtifactsTransport):
    def __init__(self, connection: HttpConnection) -> None:
        self.http = connection

    def declare_artifacts(
        self, run_id: str, entries: list[ArtifactEntry]
    ) -> tuple[list[ArtifactEntry], list[str]]:
        body = {
            "artifacts": [
                {
                    "path": e.path,
                    "digest": e.digest,
                    "size": e.size,
                    "media_type": e.media_type,
                    "mtime_ms": e.mtime_ms,
                    "step": e.step,
                }
                for e in entries
            ]
        }
        data = self.http.request("POST", f"/api/v1/runs/{run_id}/artifacts", json=body)
        return [entry_from_wire(a) for a in data["artifacts"]], list(data["missing"])

    def store_content(
        self,
        source: Path,
        digest: str,
        size: int,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Upload a file's bytes as content ``digest``; resumes an interrupted upload."""
        if size <= ARTIFACT_PART_SIZE:
            fd = os.open(source, os.O_RDONLY)
            try:
                if os.fstat(fd).st_size != size or _range_sha256(fd, 0, size) != digest:
                    raise _changed(source)
                self.http.request(
                    "PUT",
                    f"/api/v1/blobs/{digest}",
                    content=_chunks(fd, 0, size),
                    headers={
                        "Content-Type": "application/octet-stream",
                        "Content-Length": str(size),
                    },
                )
            finally:
                os.close(fd)
            if progress is not None:
                progress(size)
            return
        for _ in range(3):
            try:
                self._upload_parts(source, digest, size, progress)
                return
            except UploadNotFoundError:
                continue  # completed by another writer of the same content: ask again
        raise TransportError(f"the upload of {source} kept disappearing; will retry")

    def _upload_parts(
        self,
        source: Path,
        digest: str,
        size: int,
        progress: Callable[[int], None] | None,
    ) -> None:
        session = _session(
            self.http.request("POST", "/api/v1/uploads", json={"digest": digest, "size": size})
        )
        if session.stored:
            if progress is not None:
                progress(size)
            return
        if progress is not None:
            progress(sum(self._part_len(session, n) for n in session.parts))
        fd = os.open(source, os.O_RDONLY)
        try:
            for n in session.missing_parts():
                offset = (n - 1) * session.part_size
                length = self._part_len(session, n)
                self.http.request(
                    "PUT",
                    f"/api/v1/uploads/{session.upload_id}/parts/{n}",
                    content=_chunks(fd, offset, length),
                    headers={
                        "Content-Type": "application/octet-stream",
                        "Content-Length": str(length),
                        "X-Content-SHA256": _range_sha256(fd, offset, length),
                    },
                )
                if progress is not None:
                    progress(length)
        finally:
            os.close(fd)
        try:
            self.http.request("POST", f"/api/v1/uploads/{session.upload_id}/complete", json={})
        except ArtifactCorruptedError:
            raise _changed(source) from None

    def store_small(
        self,
        items: list[tuple[Path, str, int]],
        progress: Callable[[int], None] | None = None,
    ) -> list[Path]:
        body = bytearray()
        changed: list[Path] = []
        for source, digest, size in items:
            data = source.read_bytes()
            if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
                changed.append(source)
                continue
            body += BUNDLE_HEADER.pack(bytes.fromhex(digest), size)
            body += data
        if body:
            self.http.request(
                "POST",
                "/api/v1/blobs",
                content=bytes(body),
                headers={"Content-Type": "application/octet-stream"},
            )
        if progress is not None:
            progress(sum(size for _, _, size in items))
        return changed

    @staticmethod
    def _part_len(session: UploadSession, n: int) -> int:
        return min(session.part_size, session.size - (n - 1) * session.part_size)

    def list_artifacts(self, run_id: str, path: str) -> list[ArtifactEntry]:
        data = self.http.request("GET", f"/api/v1/runs/{run_id}/artifacts", params={"path": path})
        return [entry_from_wire(a) for a in data["artifacts"]]

    def latest_checkpoint(self, run_id: str) -> ArtifactEntry | None:
        data = self.http.request("GET", f"/api/v1/runs/{run_id}/checkpoints/latest")
        cp = data["checkpoint"]
        return None if cp is None else entry_from_wire(cp)

    def read_artifact(
        self, run_id: str, entry: ArtifactEntry
    ) -> AbstractContextManager[Iterator[bytes]]:
        return self.http.stream(f"/api/v1/runs/{run_id}/artifacts/files/{quote(entry.path)}")

    def read_archive(self, run_id: str, path: str) -> AbstractContextManager[Iterator[bytes]]:
        return self.http.stream(f"/api/v1/runs/{run_id}/artifacts/archive", {"path": path})
