"""/api/v1/runs/{run_id}/artifacts: a run's manifest, declaring entries, downloads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from labledger.artifacts.archive import tar_stream
from labledger.core.artifact_validation import (
    DEFAULT_MEDIA_TYPE,
    media_type_for,
    parse_artifact_entries,
)
from labledger.core.entities import ArtifactEntry, ArtifactState
from labledger.core.errors import ArtifactNotFoundError, InvalidInputError
from labledger.server import schemas
from labledger.server.deps import ArtifactServiceDep

router = APIRouter(prefix="/api/v1/runs", tags=["artifacts"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorPublic} for code in (400, 404, 409, 422)
}


def _public(entry: ArtifactEntry) -> schemas.ArtifactPublic:
    return schemas.ArtifactPublic(**entry.to_dict())


@router.get("/{run_id}/artifacts", response_model=schemas.ArtifactsPublic, responses=_ERRORS)
def list_artifacts(
    run_id: str,
    service: ArtifactServiceDep,
    path: Annotated[str, Query(description="A folder (or file) inside the run; '' = all.")] = "",
) -> schemas.ArtifactsPublic:
    """Every manifest entry under ``path``, recursively, sorted by path."""
    return schemas.ArtifactsPublic(artifacts=[_public(e) for e in service.list(run_id, path)])


@router.post("/{run_id}/artifacts", response_model=schemas.ArtifactsDeclared, responses=_ERRORS)
def declare_artifacts(
    run_id: str, body: schemas.ArtifactsDeclare, service: ArtifactServiceDep
) -> schemas.ArtifactsDeclared:
    """Record entries (path -> content); answers which contents still need uploading."""
    entries = parse_artifact_entries([a.model_dump(exclude_none=True) for a in body.artifacts])
    stored, missing = service.declare(run_id, entries)
    return schemas.ArtifactsDeclared(artifacts=[_public(e) for e in stored], missing=missing)


@router.get(
    "/{run_id}/checkpoints/latest",
    response_model=schemas.LatestCheckpointPublic,
    responses=_ERRORS,
)
def latest_checkpoint(run_id: str, service: ArtifactServiceDep) -> schemas.LatestCheckpointPublic:
    """The artifact logged with the highest step (``log_checkpoint``), or null."""
    entry = service.latest_checkpoint(run_id)
    return schemas.LatestCheckpointPublic(checkpoint=None if entry is None else _public(entry))


@router.get(
    "/{run_id}/artifacts/archive",
    responses={**_ERRORS, 200: {"content": {"application/x-tar": {}}}},
    response_class=Response,
)
def download_archive(
    run_id: str,
    service: ArtifactServiceDep,
    path: Annotated[str, Query(description="A folder inside the run; '' = everything.")] = "",
) -> Response:
    """Every stored artifact under ``path`` as one streamed tar (names relative to ``path``;
    each member's SHA-256 in its PAX header ``LABLEDGER.sha256``).  Pending ones are left out
    and counted in ``X-Artifacts-Pending``."""
    entries = service.list(run_id, path)
    stored = [e for e in entries if e.state is ArtifactState.STORED]
    if not entries:
        raise ArtifactNotFoundError(
            f"run {run_id} has no artifacts under {path!r}", details={"path": path}
        )
    prefix = f"{path.strip('/')}/" if path.strip("/") else ""
    members = [
        (
            e.path[len(prefix) :] if e.path.startswith(prefix) else e.path.rsplit("/", 1)[-1],
            e.size,
            (e.mtime_ms or e.created_ms) // 1000,
            e.digest,
        )
        for e in stored
    ]
    name = (path.strip("/").rsplit("/", 1)[-1] or run_id) + ".tar"
    headers = {
        "Content-Disposition": f"attachment; filename*=utf-8''{_quote(name)}",
        "X-Artifacts-Pending": str(len(entries) - len(stored)),
        "X-Content-Type-Options": "nosniff",
    }
    chunks = iterate_in_threadpool(tar_stream(members, service.read))
    return StreamingResponse(chunks, media_type="application/x-tar", headers=headers)


@router.get(
    "/{run_id}/artifacts/files/{path:path}",
    responses={**_ERRORS, 200: {"content": {"application/octet-stream": {}}}},
    response_class=Response,
)
def download_artifact(
    run_id: str,
    path: str,
    request: Request,
    service: ArtifactServiceDep,
    download: Annotated[bool, Query(description="Send as an attachment (save dialog).")] = False,
) -> Response:
    """The artifact's bytes, streamed; ``Range`` supported; ``X-Content-SHA256`` is its digest."""
    entry = service.stored(run_id, path)
    media_type = _media_type(entry)
    name = path.rsplit("/", 1)[-1]
    headers = {
        "X-Content-SHA256": entry.digest,
        "ETag": f'"{entry.digest}"',
        # artifacts are untrusted uploads served on the UI's origin: never let them run
        "Content-Security-Policy": "sandbox",
        "X-Content-Type-Options": "nosniff",
    }
    disposition = "attachment" if download else "inline"
    local = service.store.local_path(entry.digest)
    if local is not None:
        return _BlobFileResponse(
            local,
            media_type=media_type,
            headers=headers,
            filename=name,
            content_disposition_type=disposition,
        )
    start, end, status = _range(request.headers.get("range"), entry.size)
    headers["Accept-Ranges"] = "bytes"
    headers["Content-Length"] = str(end - start)
    headers["Content-Disposition"] = f"{disposition}; filename*=utf-8''{_quote(name)}"
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{entry.size}"
    chunks = iterate_in_threadpool(service.read(entry.digest, start, end))
    return StreamingResponse(chunks, status_code=status, media_type=media_type, headers=headers)


class _BlobFileResponse(FileResponse):
    chunk_size = 1 << 20  # 64 KiB by default: 16x the thread hops for a large file


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
        raise InvalidInputError(f"Range header {header!r} is malformed") from None
    if start >= end:
        raise InvalidInputError(
            f"Range {header!r} is outside the artifact's {size} bytes", details={"field": "Range"}
        )
    return start, end, 206
