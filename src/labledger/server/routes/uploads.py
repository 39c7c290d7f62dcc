"""/api/v1/blobs and /api/v1/uploads: content uploads, single-request or resumable multipart."""

from __future__ import annotations

import struct
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request
from starlette.concurrency import run_in_threadpool

from labledger.core.entities import UploadSession
from labledger.core.errors import BodyTooLargeError, InvalidInputError
from labledger.core.limits import ARTIFACT_PART_SIZE, MAX_ARTIFACT_SIZE
from labledger.server.deps import ArtifactServiceDep, MetricsDep
from labledger.server.routes.common import (
    SHAPE_422,
    STORE_503,
    DigestPath,
    UploadIdPath,
    errors,
    refuse_other_methods,
)
from labledger.server.schemas import uploads as schemas
from labledger.server.schemas.common import DIGEST_ANY_CASE, EmptyBody

router = APIRouter(prefix="/api/v1", tags=["uploads"])


def _bytes_body(description: str) -> dict[str, Any]:
    schema = {"type": "string", "format": "binary", "description": description}
    return {
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": schema}},
        }
    }


BUNDLE_HEADER = struct.Struct(">32sQ")
MAX_PARTS = -(-MAX_ARTIFACT_SIZE // ARTIFACT_PART_SIZE)
Sha256Header = Annotated[
    str,
    Header(
        alias="X-Content-SHA256",
        description="SHA-256 (hex) of the request body.",
        json_schema_extra={"pattern": DIGEST_ANY_CASE},
    ),
]
UPLOAD_404 = (404, "No such upload: it completed or never started (upload_not_found).")
MISMATCH_422 = (422, "The bytes do not hash to the digest (digest_mismatch); nothing was stored.")


async def read_body(request: Request, limit: int) -> memoryview:
    """The request body, at most ``limit`` bytes, in one preallocated buffer."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise InvalidInputError("Content-Length is not a number") from None
        if length > limit:
            raise BodyTooLargeError(
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
            raise BodyTooLargeError(
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


# Before /blobs/{digest}: a PUT of /blobs/verify (POST, in provenance.py) stores no digest.
refuse_other_methods(router, "/blobs/verify", ["POST"])


@router.put(
    "/blobs/{digest}",
    response_model=schemas.BlobStoredPublic,
    responses=errors(
        (400, "The digest is not a SHA-256 (invalid_input), or the body is cut short."),
        MISMATCH_422,
        STORE_503,
    ),
    openapi_extra=_bytes_body(f"The content: at most {ARTIFACT_PART_SIZE} bytes."),
)
async def put_blob(
    digest: DigestPath, request: Request, service: ArtifactServiceDep, metrics: MetricsDep
) -> schemas.BlobStoredPublic:
    """Store a content of at most one part in one request; kept only if it hashes to
    ``digest``.  Pending entries waiting for it become ``stored``."""
    body = await read_body(request, ARTIFACT_PART_SIZE)
    size = await run_in_threadpool(service.put_blob, digest, [body])
    metrics.upload_bytes.inc(size)
    return schemas.BlobStoredPublic(digest=digest, size=size)


@router.post(
    "/blobs",
    response_model=schemas.BlobsStoredPublic,
    responses=errors(
        (400, "The body is empty, or not a sequence of whole frames (invalid_input)."),
        (422, "A frame's bytes do not hash to its digest (digest_mismatch); nothing was stored."),
        STORE_503,
    ),
    openapi_extra=_bytes_body(
        "One or more frames: the content's 32-byte SHA-256, its size as an 8-byte big-endian "
        f"integer, its bytes; at most {ARTIFACT_PART_SIZE} bytes in all."
    ),
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
    if not body:
        raise InvalidInputError(
            "the bundle is empty: send one frame or more", details={"field": "body"}
        )
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


_UPLOAD_LINKS = {
    name: {"operationId": op, "parameters": {"path.upload_id": "$response.body#/upload_id"}}
    for name, op in (
        ("get_upload", "uploads-get_upload"),
        ("put_part", "uploads-put_part"),
        ("complete_upload", "uploads-complete_upload"),
    )
}


@router.post(
    "/uploads",
    response_model=schemas.UploadPublic,
    responses={
        200: {
            "description": "The upload, or stored: true when the content is.",
            "links": _UPLOAD_LINKS,
        },
        **errors(
            (
                400,
                "A value breaks a documented rule, the size differs from that of the upload "
                "in progress for this digest, or the body is not strict JSON.",
            ),
            SHAPE_422,
            (
                503,
                "The content is being stored or collected right now, or the artifact store "
                "cannot be used (blob_store_unavailable).",
            ),
        ),
    },
)
def start_upload(body: schemas.UploadStart, service: ArtifactServiceDep) -> schemas.UploadPublic:
    """Start the multipart upload of a content, or find the one in progress (with the parts
    received so far): a client that reconnects sends only the rest."""
    return _public(service.start_upload(body.digest, body.size))


@router.get(
    "/uploads/{upload_id}", response_model=schemas.UploadPublic, responses=errors(UPLOAD_404)
)
def get_upload(upload_id: UploadIdPath, service: ArtifactServiceDep) -> schemas.UploadPublic:
    return _public(service.get_upload(upload_id))


@router.put(
    "/uploads/{upload_id}/parts/{part_number}",
    status_code=204,
    responses=errors(
        (
            400,
            "The part's bytes do not hash to X-Content-SHA256 (checksum_mismatch; send it "
            "again), the part number is past the last part, or the part has the wrong length.",
        ),
        UPLOAD_404,
        SHAPE_422,
        STORE_503,
    ),
    openapi_extra=_bytes_body(
        f"Part part_number: {ARTIFACT_PART_SIZE} bytes (the last part: what is left)."
    ),
)
async def put_part(
    upload_id: UploadIdPath,
    part_number: Annotated[
        int,
        Path(
            description="From 1 to the upload's part_count.",
            json_schema_extra={"minimum": 1, "maximum": MAX_PARTS},
        ),
    ],
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
    "/uploads/{upload_id}/complete",
    response_model=schemas.UploadPublic,
    responses=errors(
        (400, "The body is not strict JSON (malformed_json)."),
        UPLOAD_404,
        (409, "Parts are missing (upload_incomplete; details.missing_parts)."),
        (
            422,
            "The assembled content does not hash to its digest (digest_mismatch; the upload "
            "is discarded), or the body is not {} (invalid_body).",
        ),
        STORE_503,
    ),
)
def complete_upload(
    upload_id: UploadIdPath, body: EmptyBody, service: ArtifactServiceDep
) -> schemas.UploadPublic:
    """Hash the assembled content; store it if it matches its digest, else discard it."""
    del body
    return _public(service.complete_upload(upload_id))
