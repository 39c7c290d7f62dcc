"""/api/v1/blobs and /api/v1/uploads: content uploads, single-request or resumable multipart."""

from __future__ import annotations

import struct
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from starlette.concurrency import run_in_threadpool

from labledger.core.artifact_validation import check_digest
from labledger.core.entities import UploadSession
from labledger.core.errors import InvalidInputError, LimitExceededError
from labledger.core.limits import ARTIFACT_PART_SIZE
from labledger.server import schemas
from labledger.server.deps import ArtifactServiceDep, MetricsDep

router = APIRouter(prefix="/api/v1", tags=["uploads"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorPublic} for code in (400, 404, 409, 422)
}
_BYTES_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}
BUNDLE_HEADER = struct.Struct(">32sQ")
Sha256Header = Annotated[
    str, Header(alias="X-Content-SHA256", description="SHA-256 (hex) of the request body.")
]


async def read_body(request: Request, limit: int) -> memoryview:
    """The request body, at most ``limit`` bytes, in one preallocated buffer."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise InvalidInputError("Content-Length is not a number") from None
        if length > limit:
            raise LimitExceededError(
                f"the body is {length} bytes; the limit is {limit} (one part)",
                details={"field": "body", "limit": limit},
            )
        buf = bytearray(length)
        view = memoryview(buf)
        pos = 0
        async for chunk in request.stream():
            if pos + len(chunk) > length:
                raise InvalidInputError("the body is longer than its Content-Length")
            view[pos : pos + len(chunk)] = chunk
            pos += len(chunk)
        if pos != length:
            raise InvalidInputError(
                f"the body ended after {pos} of its {length} bytes; send it again",
                details={"field": "body"},
            )
        return view
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise LimitExceededError(
                f"the body is over the limit of {limit} bytes (one part)",
                details={"field": "body", "limit": limit},
            )
    return memoryview(data)


def _public(session: UploadSession) -> schemas.UploadPublic:
    return schemas.UploadPublic(
        upload_id=session.upload_id,
        digest=session.digest,
        size=session.size,
        part_size=session.part_size,
        part_count=session.part_count,
        parts=session.parts,
        stored=session.stored,
    )


@router.put(
    "/blobs/{digest}",
    response_model=schemas.BlobStoredPublic,
    responses=_ERRORS,
    openapi_extra=_BYTES_BODY,
)
async def put_blob(
    digest: str, request: Request, service: ArtifactServiceDep, metrics: MetricsDep
) -> schemas.BlobStoredPublic:
    """Store a content of at most one part in one request; kept only if it hashes to
    ``digest``.  Pending entries waiting for it become ``stored``."""
    check_digest("digest", digest)
    body = await read_body(request, ARTIFACT_PART_SIZE)
    size = await run_in_threadpool(service.put_blob, digest, [body])
    metrics.upload_bytes.inc(size)
    return schemas.BlobStoredPublic(digest=digest, size=size)


@router.post(
    "/blobs",
    response_model=schemas.BlobsStoredPublic,
    responses=_ERRORS,
    openapi_extra=_BYTES_BODY,
)
async def put_blobs(
    request: Request, service: ArtifactServiceDep, metrics: MetricsDep
) -> schemas.BlobsStoredPublic:
    """Many small contents in one request (at most one part in all).  The body is a sequence
    of frames: the 32-byte SHA-256, the size as an 8-byte big-endian integer, the bytes.
    Every blob is verified before any is stored."""
    body = await read_body(request, ARTIFACT_PART_SIZE)
    items = parse_bundle(body)
    size = await run_in_threadpool(service.put_blobs, items)
    metrics.upload_bytes.inc(size)
    return schemas.BlobsStoredPublic(blobs=len(items), bytes=size)


def parse_bundle(body: memoryview) -> list[tuple[str, memoryview]]:
    items: list[tuple[str, memoryview]] = []
    pos = 0
    while pos < len(body):
        if pos + BUNDLE_HEADER.size > len(body):
            raise InvalidInputError(
                f"bundle frame {len(items)} is cut short in its header", details={"field": "body"}
            )
        digest, size = BUNDLE_HEADER.unpack_from(body, pos)
        pos += BUNDLE_HEADER.size
        if pos + size > len(body):
            raise InvalidInputError(
                f"bundle frame {len(items)} says {size} bytes but the body ends first",
                details={"field": "body"},
            )
        items.append((digest.hex(), body[pos : pos + size]))
        pos += size
    return items


@router.post("/uploads", response_model=schemas.UploadPublic, responses=_ERRORS)
def start_upload(body: schemas.UploadStart, service: ArtifactServiceDep) -> schemas.UploadPublic:
    """Start the multipart upload of a content, or find the one in progress (with the parts
    received so far): a client that reconnects sends only the rest."""
    return _public(service.start_upload(body.digest, body.size))


@router.get("/uploads/{upload_id}", response_model=schemas.UploadPublic, responses=_ERRORS)
def get_upload(upload_id: str, service: ArtifactServiceDep) -> schemas.UploadPublic:
    return _public(service.get_upload(upload_id))


@router.put(
    "/uploads/{upload_id}/parts/{part_number}",
    status_code=204,
    responses=_ERRORS,
    openapi_extra=_BYTES_BODY,
)
async def put_part(
    upload_id: str,
    part_number: int,
    request: Request,
    service: ArtifactServiceDep,
    sha256: Sha256Header,
    metrics: MetricsDep,
) -> None:
    """One part; refused (and not recorded) unless its bytes hash to ``X-Content-SHA256``."""
    body = await read_body(request, ARTIFACT_PART_SIZE)
    await run_in_threadpool(service.put_part, upload_id, part_number, body, sha256.lower())
    metrics.upload_bytes.inc(len(body))


@router.post(
    "/uploads/{upload_id}/complete", response_model=schemas.UploadPublic, responses=_ERRORS
)
def complete_upload(upload_id: str, service: ArtifactServiceDep) -> schemas.UploadPublic:
    """Hash the assembled content; store it if it matches its digest, else discard it."""
    return _public(service.complete_upload(upload_id))
