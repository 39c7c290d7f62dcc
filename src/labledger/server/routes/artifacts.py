"""/api/v1/runs/{run_id}/artifacts: a run's manifest, declaring entries, downloads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool
from starlette.types import Receive, Scope, Send

from labledger.core import limits
from labledger.core.artifact_validation import (
    DEFAULT_MEDIA_TYPE,
    media_type_for,
)
from labledger.core.entities import ArtifactEntry
from labledger.core.errors import InvalidInputError
from labledger.server.deps import ArtifactServiceDep
from labledger.server.routes.common import (
    INPUT_400,
    RUN_404,
    SEALED_409,
    SHAPE_422,
    STORE_503,
    RunIdPath,
    errors,
)
from labledger.server.schemas import artifacts as schemas
from labledger.server.schemas.common import ARTIFACT_FOLDER, ARTIFACT_PATH

router = APIRouter(prefix="/api/v1/runs", tags=["artifacts"])
_BYTES: dict[str, Any] = {"schema": {"type": "string", "format": "binary"}}


FolderQuery = Query(
    description="A folder (or file) inside the run; '' = all.",
    json_schema_extra={"maxLength": limits.MAX_ARTIFACT_PATH, "pattern": ARTIFACT_FOLDER},
)


def _public(entry: ArtifactEntry) -> schemas.ArtifactPublic:
    return schemas.ArtifactPublic(**entry.to_dict())


@router.get(
    "/{run_id}/artifacts",
    response_model=schemas.ArtifactsPublic,
    responses=errors(INPUT_400, RUN_404),
)
def list_artifacts(
    run_id: RunIdPath, service: ArtifactServiceDep, path: Annotated[str, FolderQuery] = ""
) -> schemas.ArtifactsPublic:
    """Every manifest entry under ``path``, recursively, sorted by path."""
    entries = service.list(run_id, path)
    return schemas.ArtifactsPublic(artifacts=[_public(e) for e in entries])


@router.post(
    "/{run_id}/artifacts",
    response_model=schemas.ArtifactsDeclared,
    responses=errors(INPUT_400, RUN_404, SEALED_409, SHAPE_422),
)
def declare_artifacts(
    run_id: RunIdPath, body: schemas.ArtifactsDeclare, service: ArtifactServiceDep
) -> schemas.ArtifactsDeclared:
    """Record entries (path -> content); answers which contents still need uploading."""
    entries = [a.model_dump(exclude_none=True) for a in body.artifacts]
    stored, missing = service.declare(run_id, entries)
    return schemas.ArtifactsDeclared(artifacts=[_public(e) for e in stored], missing=missing)


@router.get(
    "/{run_id}/checkpoints/latest",
    response_model=schemas.LatestCheckpointPublic,
    responses=errors(RUN_404),
)
def latest_checkpoint(
    run_id: RunIdPath, service: ArtifactServiceDep
) -> schemas.LatestCheckpointPublic:
    """The artifact logged with the highest step (``log_checkpoint``), or null."""
    entry = service.latest_checkpoint(run_id)
    return schemas.LatestCheckpointPublic(checkpoint=None if entry is None else _public(entry))


_NO_ENTRY_404 = (404, "No such run (run_not_found), or nothing there (artifact_not_found).")


@router.get(
    "/{run_id}/artifacts/archive",
    responses={
        200: {
            "description": "A tar of the stored artifacts under path (pending ones are left "
            "out and counted in X-Artifacts-Pending).",
            "content": {"application/x-tar": _BYTES},
        },
        **errors(INPUT_400, _NO_ENTRY_404, STORE_503),
    },
    response_class=Response,
)
def download_archive(
    run_id: RunIdPath, service: ArtifactServiceDep, path: Annotated[str, FolderQuery] = ""
) -> Response:
    """Every stored artifact under ``path`` as one streamed tar (names relative to ``path``;
    each member's SHA-256 in its PAX header ``LABLEDGER.sha256``).  Pending ones are left out
    and counted in ``X-Artifacts-Pending``."""
    archive = service.archive(run_id, path)
    headers = {
        "Content-Disposition": f"attachment; filename*=utf-8''{_quote(archive.name)}",
        "X-Artifacts-Pending": str(archive.pending),
        "X-Content-Type-Options": "nosniff",
    }
    chunks = iterate_in_threadpool(archive.chunks)
    return StreamingResponse(chunks, media_type="application/x-tar", headers=headers)


_ARTIFACT_BYTES = {"content": {"*/*": _BYTES}}


@router.get(
    "/{run_id}/artifacts/files/{path:path}",
    responses={
        200: {"description": "The artifact's bytes, in its media type.", **_ARTIFACT_BYTES},
        206: {"description": "The one range asked for (Content-Range).", **_ARTIFACT_BYTES},
        **errors(
            (
                400,
                "The path is not an artifact path (invalid_artifact_path, limit_exceeded), "
                "or the Range cannot be served (invalid_input).",
            ),
            _NO_ENTRY_404,
            (409, "Its content has not been uploaded yet (artifact_pending)."),
            SHAPE_422,
            STORE_503,
        ),
    },
    response_class=Response,
)
def download_artifact(
    run_id: RunIdPath,
    path: Annotated[
        str,
        Path(
            description="The artifact's path inside the run.",
            json_schema_extra={
                "minLength": 1,
                "maxLength": limits.MAX_ARTIFACT_PATH,
                "pattern": ARTIFACT_PATH,
            },
        ),
    ],
    service: ArtifactServiceDep,
    download: Annotated[bool, Query(description="Send as an attachment (save dialog).")] = False,
    range_: Annotated[
        str | None,
        Header(
            alias="Range",
            description="One range, bytes=first-last, bytes=first- or bytes=-suffix (206). "
            "Another unit, or several ranges, are answered with the whole artifact (200).",
        ),
    ] = None,
) -> Response:
    """The artifact's bytes, streamed; ``Range`` supported; ``X-Content-SHA256`` is its digest."""
    entry = service.stored(run_id, path)
    start, end, status = _range(range_, entry.size)
    name = path.rsplit("/", 1)[-1]
    disposition = "attachment" if download else "inline"
    headers = {
        "X-Content-SHA256": entry.digest,
        "ETag": f'"{entry.digest}"',
        # artifacts are untrusted uploads served on the UI's origin: never let them run
        "Content-Security-Policy": "sandbox",
        "X-Content-Type-Options": "nosniff",
    }
    local = service.store.local_path(entry.digest)
    if local is not None and status == 200:
        return _BlobFileResponse(
            local,
            media_type=_media_type(entry),
            headers=headers,
            filename=name,
            content_disposition_type=disposition,
        )
    headers["Accept-Ranges"] = "bytes"
    headers["Content-Length"] = str(end - start)
    headers["Content-Disposition"] = f"{disposition}; filename*=utf-8''{_quote(name)}"
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{entry.size}"
    chunks = iterate_in_threadpool(service.read(entry.digest, start, end))
    return StreamingResponse(
        chunks, status_code=status, media_type=_media_type(entry), headers=headers
    )


class _BlobFileResponse(FileResponse):
    """A whole blob from the folder store.  The route has already decided on the range (the
    whole blob): Starlette's own Range handling would answer other statuses, in plain text."""

    chunk_size = 1 << 20  # 64 KiB by default: 16x the thread hops for a large file

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"range"]
        await super().__call__({**scope, "headers": headers}, receive, send)


def _media_type(entry: ArtifactEntry) -> str:
    if entry.media_type != DEFAULT_MEDIA_TYPE:
        return entry.media_type
    return media_type_for(entry.path)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def _range(header: str | None, size: int) -> tuple[int, int, int]:
    """(start, end exclusive, status) for a single 'bytes=a-b' range; the whole blob otherwise."""
    if not header or not header.startswith("bytes=") or "," in header or size == 0:
        return 0, size, 200
    first, _, last = header[len("bytes=") :].strip().partition("-")
    try:
        if first:
            start = int(first)
            end = min(size, int(last) + 1) if last else size
        else:
            start, end = max(0, size - int(last)), size
    except ValueError:
        raise InvalidInputError(
            f"Range header {header!r} is malformed", details={"field": "Range"}
        ) from None
    if start >= end:
        raise InvalidInputError(
            f"Range {header!r} is outside the artifact's {size} bytes", details={"field": "Range"}
        )
    return start, end, 206
