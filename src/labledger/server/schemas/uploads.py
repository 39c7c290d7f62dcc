"""Wire models of content uploads: single blobs, bundles, resumable multipart."""

from __future__ import annotations

from pydantic import BaseModel, Field

from labledger.server.schemas.common import (
    ArtifactSize,
    Digest,
    Strict,
)


class UploadStart(Strict):
    digest: Digest
    size: ArtifactSize


class UploadPublic(BaseModel):
    upload_id: str | None = Field(description="None when the content is already stored.")
    digest: str
    size: int
    part_size: int
    part_count: int
    parts: list[int] = Field(description="Part numbers already received (from 1).")
    stored: bool


class BlobStoredPublic(BaseModel):
    digest: str
    size: int


class BlobsStoredPublic(BaseModel):
    blobs: int
    bytes: int
