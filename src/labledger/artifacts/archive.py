"""A tar stream of stored blobs, written as it is read: header, the blob's chunks, padding.

Each member carries its SHA-256 in a PAX header (``LABLEDGER.sha256``), so the archive
describes itself; readers still check it against the manifest they trust.
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Iterable, Iterator

BLOCK = 512
COALESCE = 1 << 20
DIGEST_HEADER = "LABLEDGER.sha256"


def tar_stream(
    members: Iterable[tuple[str, int, int, str]],
    read: Callable[[str], Iterator[bytes]],
) -> Iterator[bytes]:
    """Yield a tar archive of ``(name, size, mtime_s, digest)`` members, reading each blob
    with ``read(digest)``, in pieces of about 1 MiB (many small members share a piece)."""
    pending = bytearray()
    for piece in _tar_pieces(members, read):
        if len(piece) >= COALESCE and not pending:
            yield piece
            continue
        pending += piece
        if len(pending) >= COALESCE:
            yield bytes(pending)
            pending.clear()
    if pending:
        yield bytes(pending)


def _tar_pieces(
    members: Iterable[tuple[str, int, int, str]],
    read: Callable[[str], Iterator[bytes]],
) -> Iterator[bytes]:
    for name, size, mtime, digest in members:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = mtime
        info.mode = 0o644
        info.pax_headers = {DIGEST_HEADER: digest}
        yield info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8", errors="strict")
        sent = 0
        for chunk in read(digest):
            sent += len(chunk)
            yield chunk
        if sent != size:
            raise OSError(f"blob {digest} is {sent} bytes, the manifest says {size}")
        if size % BLOCK:
            yield b"\0" * (BLOCK - size % BLOCK)
    yield b"\0" * (2 * BLOCK)
