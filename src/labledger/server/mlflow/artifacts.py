"""MLflow's artifact proxy (``/api/2.0/mlflow-artifacts``) and the tracking API's listing.

A run's artifact URI is ``mlflow-artifacts:/<experiment>/<run>/artifacts``; the client turns
it into ``/api/2.0/mlflow-artifacts/artifacts/<experiment>/<run>/artifacts/<path>`` and
PUTs each file's bytes there, GETs them back, and lists a folder with
``GET .../artifacts?path=<experiment>/<run>/artifacts/<folder>``.  Bytes are hashed and
written in one pass as one content-addressed blob (``put_stream``), then declared on the run
like any artifact the SDK logs (so they appear in the UI, the seal and ``verify``).
Multipart uploads (``mpu/create``, part PUTs, ``mpu/complete``) are in ``multipart.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import queue
from collections.abc import Iterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from labledger.core.entities import ArtifactEntry
from labledger.core.errors import ArtifactNotFoundError
from labledger.core.identity import Action
from labledger.core.limits import MAX_ARTIFACT_SIZE
from labledger.server.mlflow.calls import AsyncHandler, Call, Handler, json_response
from labledger.server.mlflow.protocol import RESOURCE_DOES_NOT_EXIST, MlflowError, invalid
from labledger.server.mlflow.runs import experiment_of, run_id_of
from labledger.services.tracker import Tracker

CHUNK = 1 << 20


def split_location(location: str, tracker: Tracker) -> tuple[str, str]:
    """``<experiment>/<run>/artifacts[/<path>]`` -> (run id, path inside the run)."""
    parts = location.strip("/").split("/", 3)
    if len(parts) < 3 or parts[2] != "artifacts" or not parts[0].isdigit():
        raise MlflowError(
            RESOURCE_DOES_NOT_EXIST,
            f"{location!r} is not an artifact location of this server "
            "(<experiment id>/<run id>/artifacts/<path>)",
        )
    run_id = parts[1]
    run = tracker.runs.get_run(run_id)
    if str(experiment_of(tracker, run.project)) != parts[0]:
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"run {run_id} is not in experiment {parts[0]}")
    return run_id, parts[3] if len(parts) == 4 else ""


def children(entries: list[ArtifactEntry], folder: str, *, full: bool) -> list[dict[str, Any]]:
    """The files and folders directly inside ``folder`` (MLflow lists one level)."""
    prefix = folder.strip("/") + "/" if folder.strip("/") else ""
    files: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if not entry.path.startswith(prefix):
            continue
        rest = entry.path[len(prefix) :]
        head, sep, _ = rest.partition("/")
        shown = prefix + head if full else head
        if sep:
            files.setdefault(head, {"path": shown, "is_dir": True})
        else:
            files[head] = {"path": shown, "is_dir": False, "file_size": entry.size}
    return [files[k] for k in sorted(files)]


async def _list(request: Request, tracker: Tracker) -> Response:
    location = request.query_params.get("path", "")
    run_id, folder = await run_in_threadpool(split_location, location, tracker)
    entries = await run_in_threadpool(tracker.artifacts.list, run_id, folder.strip("/"))
    return json_response({"files": children(entries, folder, full=False)})


async def _download(request: Request, tracker: Tracker) -> Response:
    run_id, path = await run_in_threadpool(split_location, request.path_params["rest"], tracker)
    if not path:
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, "name a file to download")
    entry = await run_in_threadpool(tracker.artifacts.stored, run_id, path)
    chunks = await run_in_threadpool(tracker.artifacts.read, entry.digest)
    media = entry.media_type or "application/octet-stream"
    return StreamingResponse(chunks, media_type=media, headers={"content-length": str(entry.size)})


BUFFER = 1 << 20  # bytes gathered from the request before a hand-over to the writer thread


async def store_body(request: Request, tracker: Tracker) -> tuple[str, int]:
    """The request body stored as one blob in a single pass, (digest, size): the event loop
    gathers it in 1 MiB pieces and hands them, with back-pressure, to a thread that hashes and
    writes them (``put_stream``).  A body that breaks off or passes the size limit publishes
    nothing."""
    pieces: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=8)

    def chunks() -> Iterator[bytes]:
        while (item := pieces.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item

    writer = asyncio.ensure_future(run_in_threadpool(tracker.artifacts.put_stream, chunks()))

    async def hand_over(item: bytes | BaseException | None) -> None:
        while True:
            if writer.done() and item is not None:
                writer.result()  # the writer failed: its error, not a wait forever
                return
            try:
                pieces.put_nowait(item)
                return
            except queue.Full:
                await asyncio.sleep(0.002)

    size = 0
    gathered = bytearray()
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_ARTIFACT_SIZE:
                invalid(f"the file is over {MAX_ARTIFACT_SIZE} bytes, the artifact size limit")
            gathered += chunk
            if len(gathered) >= BUFFER:
                await hand_over(bytes(gathered))
                gathered.clear()
        if gathered:
            await hand_over(bytes(gathered))
    except BaseException as exc:
        await hand_over(exc)
        with contextlib.suppress(BaseException):
            await writer
        raise
    await hand_over(None)
    digest, stored = await writer
    return digest, stored


def declare_file(tracker: Tracker, run_id: str, path: str, digest: str, size: int) -> None:
    media = mimetypes.guess_type(path)[0] or "application/octet-stream"
    tracker.artifacts.declare(
        run_id, [{"path": path, "digest": digest, "size": size, "media_type": media}]
    )


async def _upload(request: Request, tracker: Tracker) -> Response:
    run_id, path = await run_in_threadpool(split_location, request.path_params["rest"], tracker)
    if not path:
        invalid("name the file to upload: <experiment id>/<run id>/artifacts/<path>")
    tracker.artifacts.allow(Action.WRITE, run_id=run_id)  # before reading a byte
    digest, size = await store_body(request, tracker)
    await run_in_threadpool(declare_file, tracker, run_id, path, digest, size)
    return json_response({})


def _tracking_list(call: Call) -> dict[str, Any]:
    """``GET /api/2.0/mlflow/artifacts/list``: paths relative to the run's root."""
    tracker = call.tracker
    run_id = run_id_of(call.args)
    folder = (call.args.text("path") or "").strip("/")
    run = tracker.runs.get_run(run_id)
    entries = tracker.artifacts.list(run_id, folder)
    exp = experiment_of(tracker, run.project)
    return {
        "root_uri": f"mlflow-artifacts:/{exp}/{run_id}/artifacts",
        "files": children(entries, folder, full=True),
    }


def entry_or_none(tracker: Tracker, run_id: str, path: str) -> ArtifactEntry | None:
    try:
        return tracker.artifacts.get(run_id, path)
    except ArtifactNotFoundError:
        return None


def read_all(tracker: Tracker, digest: str) -> Iterator[bytes]:
    return tracker.artifacts.read(digest)


ENDPOINTS: dict[tuple[str, str], Handler] = {
    ("GET", "/artifacts/list"): _tracking_list,
}

PROXY_ROUTES: list[tuple[str, str, AsyncHandler]] = [
    ("GET", "/artifacts", _list),
    ("GET", "/artifacts/{rest:path}", _download),
    ("PUT", "/artifacts/{rest:path}", _upload),
]
PROXY_LIST = _list  # the run-folder listing (version_files.py answers model locations first)
