"""The blob store interface: whole blobs by SHA-256, and resumable multipart uploads.

A store never makes a blob visible under a digest its bytes do not hash to: every write
goes to a staging name, is hashed, and is moved into place only when the digest matches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from labledger.core.errors import ArtifactCorruptedError, ChecksumMismatchError

CHUNK = 1 << 20  # read and hash in 1 MiB chunks


def blob_key(digest: str) -> str:
    """Where a blob lives relative to the store root: ``sha256/ab/cd/<digest>``."""
    return f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"


def check_part(upload_id: str, part_number: int, data: bytes | memoryview, expected: str) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ChecksumMismatchError(
            f"part {part_number} of upload {upload_id}: its bytes hash to {actual}, "
            f"not the X-Content-SHA256 {expected}; the part was not recorded, send it again",
            details={"upload_id": upload_id, "part_number": part_number},
        )


def digest_mismatch(expected: str, actual: str, what: str) -> ArtifactCorruptedError:
    return ArtifactCorruptedError(
        f"{what}: the bytes hash to sha256 {actual}, not the declared {expected}; "
        "nothing was stored",
        details={"digest": expected, "actual": actual},
    )


class BlobStore(Protocol):
    uri: str

    def exists(self, digest: str) -> bool: ...

    def size(self, digest: str) -> int | None:
        """Size of a stored blob, None if absent."""
        ...

    def read(self, digest: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Chunks of bytes ``[start, end)`` of a stored blob."""
        ...

    def local_path(self, digest: str) -> Path | None:
        """A filesystem path to serve the blob from directly, where the store has one."""
        ...

    def put(self, digest: str, chunks: Iterable[bytes | memoryview]) -> int:
        """Store a blob from a stream, verifying it hashes to ``digest``; returns its size."""
        ...

    def put_many(self, items: Sequence[tuple[str, bytes | memoryview]]) -> None:
        """Store several small blobs the caller has already verified against their digests."""
        ...

    def put_file(self, source: Path) -> tuple[str, int]:
        """Store a local file, hashing it on the way; returns (digest, size)."""
        ...

    def put_stream(self, chunks: Iterable[bytes | memoryview]) -> tuple[str, int]:
        """Store content whose digest is not known yet, hashing it on the way (one pass);
        returns (digest, size).  Nothing is published if ``chunks`` raises."""
        ...

    def delete(self, digest: str) -> None: ...

    def iter_digests(self) -> Iterator[str]: ...

    def begin_upload(self, upload_id: str, size: int) -> str:
        """Prepare staging for a multipart upload; returns store state to keep (may be '')."""
        ...

    def write_part(
        self, upload_id: str, state: str, part_number: int, offset: int, data: memoryview
    ) -> None: ...

    def complete_upload(
        self, upload_id: str, state: str, digest: str, size: int, part_count: int
    ) -> None:
        """Assemble, hash and move into place; raises ArtifactCorruptedError on mismatch."""
        ...

    def abort_upload(self, upload_id: str, state: str) -> None: ...

    def check(self) -> None:
        """Raise BlobStoreError when the store cannot be reached."""
        ...
