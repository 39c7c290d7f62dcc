"""Wire models of a run's artifact manifest."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from labledger.core import limits
from labledger.server.schemas.common import (
    ARTIFACT_PATH,
    MEDIA_TYPE,
    ArtifactSize,
    Digest,
    Rule,
    Strict,
    StrictStep,
    StrictTimestampMs,
)


class ArtifactIn(Strict):
    path: Annotated[
        str, Rule({"minLength": 1, "maxLength": limits.MAX_ARTIFACT_PATH, "pattern": ARTIFACT_PATH})
    ] = Field(description="Relative '/'-separated path inside the run's artifacts.")
    digest: Digest = Field(description="SHA-256 of the content, 64 lowercase hex characters.")
    size: ArtifactSize
    media_type: (
        Annotated[str, Rule({"maxLength": limits.MAX_MEDIA_TYPE, "pattern": MEDIA_TYPE})] | None
    ) = Field(None, description="Guessed from the path's extension when not given.")
    mtime_ms: StrictTimestampMs | None = None
    step: StrictStep | None = Field(None, description="Training step (checkpoints).")


class ArtifactsDeclare(Strict):
    artifacts: Annotated[list[ArtifactIn], Rule({"maxItems": limits.MAX_ARTIFACTS_PER_REQUEST})] = (
        Field(description="A later entry for the same path replaces an earlier one.")
    )


class ArtifactPublic(BaseModel):
    path: str
    digest: str
    size: int
    media_type: str
    mtime_ms: int | None
    step: int | None
    state: Literal["pending", "stored"]
    created_ms: int


class ArtifactsPublic(BaseModel):
    artifacts: list[ArtifactPublic]


class ArtifactsDeclared(BaseModel):
    artifacts: list[ArtifactPublic]
    missing: list[str] = Field(description="Digests the store lacks: upload these.")


class LatestCheckpointPublic(BaseModel):
    checkpoint: ArtifactPublic | None
