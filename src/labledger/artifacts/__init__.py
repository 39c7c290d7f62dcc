"""Blob stores chosen by URI scheme (file://, s3://): content addressing, multipart uploads
and verification.  See docs/artifacts.md."""

from __future__ import annotations

from labledger.artifacts.blobstore import BlobStore, blob_key
from labledger.artifacts.factory import open_blob_store

__all__ = ["BlobStore", "blob_key", "open_blob_store"]
