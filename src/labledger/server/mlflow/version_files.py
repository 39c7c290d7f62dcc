"""A model version's pinned files through the artifact proxy:
``mlflow-artifacts:/models/<name>/<version>[/<path>]`` (what ``get-download-uri`` answers, so
``models:/name/1`` and ``models:/name@alias`` download what was registered, by digest)."""

from __future__ import annotations

import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from labledger.core.entities import ArtifactEntry
from labledger.server.mlflow import artifacts
from labledger.server.mlflow.calls import AsyncHandler, json_response
from labledger.server.mlflow.protocol import RESOURCE_DOES_NOT_EXIST, MlflowError
from labledger.services.tracker import Tracker

_LOCATION = re.compile(r"/*models/([^/]+)/([0-9]{1,10})(?:/(.*))?")


def _files(tracker: Tracker, location: str) -> tuple[list[ArtifactEntry], str]:
    """The version's files as entries with paths relative to the version, and the sub-path."""
    m = _LOCATION.fullmatch(location)
    if m is None:
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"{location!r} is not a model version location")
    info = tracker.models.get_version(m[1], int(m[2]))
    root = info.path.strip("/")
    entries = []
    for f in info.files:
        path = f["path"]
        rel = path[len(root) + 1 :] if path.startswith(root + "/") else path.rsplit("/", 1)[-1]
        entries.append(ArtifactEntry(path=rel, digest=f["digest"], size=f["size"]))
    return entries, (m[3] or "").strip("/")


async def list_any(request: Request, tracker: Tracker) -> Response:
    location = request.query_params.get("path", "")
    if not _LOCATION.fullmatch(location):
        return await artifacts.PROXY_LIST(request, tracker)
    entries, folder = await run_in_threadpool(_files, tracker, location)
    return json_response({"files": artifacts.children(entries, folder, full=False)})


async def download(request: Request, tracker: Tracker) -> Response:
    location = "models/" + request.path_params["rest"]
    entries, path = await run_in_threadpool(_files, tracker, location)
    entry = next((e for e in entries if e.path == path), None)
    if entry is None:
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"the model version has no file {path!r}")
    chunks = await run_in_threadpool(tracker.artifacts.read, entry.digest)
    headers: dict[str, Any] = {"content-length": str(entry.size)}
    return StreamingResponse(chunks, media_type="application/octet-stream", headers=headers)


PROXY_ROUTES: list[tuple[str, str, AsyncHandler]] = [
    ("GET", "/artifacts", list_any),
    ("GET", "/artifacts/models/{rest:path}", download),
]
