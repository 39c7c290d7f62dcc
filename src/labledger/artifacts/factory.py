"""Pick a blob store by URI scheme."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from labledger.artifacts.blobstore import BlobStore
from labledger.core.errors import InvalidInputError


def open_blob_store(uri: str, *, s3_endpoint_url: str | None = None) -> BlobStore:
    """``file:///folder`` (or a plain folder path) or ``s3://bucket/prefix``."""
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        from labledger.artifacts.s3store import S3BlobStore

        if not parsed.netloc:
            raise InvalidInputError(
                f"artifact URI {uri!r} names no bucket", details={"field": "artifact_uri"}
            )
        return S3BlobStore(parsed.netloc, parsed.path.strip("/"), endpoint_url=s3_endpoint_url)
    if parsed.scheme in ("file", ""):
        from labledger.artifacts.filestore import FileBlobStore

        path = unquote(parsed.path) if parsed.scheme == "file" else uri
        return FileBlobStore(Path(path).expanduser().resolve())
    raise InvalidInputError(
        f"artifact URI {uri!r}: use file:///folder or s3://bucket/prefix",
        details={"field": "artifact_uri"},
    )
