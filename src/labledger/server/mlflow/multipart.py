"""Multipart uploads through MLflow's artifact proxy (files of at least
``MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE``, 500 MB by default, when the server says it
takes them: ``server-info`` answers ``multipart_uploads_enabled``).

- ``POST mpu/create/<location>`` ``{path, num_parts}``: the caller must be allowed to write
  to the run; answers an upload id and one URL per part.  The URLs work like presigned ones:
  the upload id in them (32 random bytes) is the credential, as MLflow's client sends part
  PUTs without its own.
- ``PUT mpu/parts/<upload id>/<n>``: one part, streamed to a spool file; answers an ``ETag``
  (the part's SHA-256).
- ``POST mpu/complete/<location>`` ``{path, upload_id, parts: [{part_number, etag}]}``: the
  parts joined in order while hashed, stored as one blob and declared on the run; every part
  must be there with its ETag (kept from its PUT), else nothing is stored; the parts are
  read once, hashed and written as one blob.
- ``POST mpu/abort/<location>``: the spool is removed.

Spools live under the system's temporary folder (shared by the server's workers); an upload
left unfinished is removed by the next create after a day.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from labledger.core.identity import Action
from labledger.core.limits import MAX_ARTIFACT_SIZE
from labledger.server.mlflow.artifacts import declare_file, split_location
from labledger.server.mlflow.calls import AsyncHandler, json_response
from labledger.server.mlflow.protocol import RESOURCE_DOES_NOT_EXIST, Args, MlflowError, invalid
from labledger.services.tracker import Tracker

ROOT = Path(tempfile.gettempdir()) / "labledger-mlflow-uploads"
MAX_PARTS = 10_000
STALE_S = 24 * 3600
CHUNK = 1 << 20


def _spool(upload_id: str) -> Path:
    if not (
        upload_id.isascii()
        and len(upload_id) == 43
        and upload_id.replace("-", "").replace("_", "").isalnum()
    ):
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, "no such multipart upload")
    folder = ROOT / upload_id
    if not (folder / "meta.json").is_file():
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, "no such multipart upload")
    return folder


def _sweep() -> None:
    if not ROOT.is_dir():
        return
    now = time.time()
    for folder in ROOT.iterdir():
        try:
            if now - folder.stat().st_mtime > STALE_S:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def _target(request: Request, tracker: Tracker, args: Args) -> tuple[str, str]:
    run_id, folder = split_location(request.path_params["rest"], tracker)
    name = str(args.text("path", required=True)).replace("\\", "/").rsplit("/", 1)[-1]
    if name in ("", ".", ".."):
        invalid(f"Invalid value {name!r} for parameter 'path': a file name")
    return run_id, f"{folder.strip('/')}/{name}" if folder.strip("/") else name


async def _create(request: Request, tracker: Tracker) -> Response:
    args = await Args.read(request)
    run_id, path = await run_in_threadpool(_target, request, tracker, args)
    tracker.artifacts.allow(Action.WRITE, run_id=run_id)
    parts = args.integer("num_parts", default=1)
    if not 1 <= parts <= MAX_PARTS:
        invalid(f"Invalid value {parts} for parameter 'num_parts': 1 to {MAX_PARTS}")
    upload_id = secrets.token_urlsafe(32)

    def make() -> None:
        _sweep()
        folder = ROOT / upload_id
        folder.mkdir(parents=True, mode=0o700)
        meta = {"run_id": run_id, "path": path, "parts": parts, "by": tracker.runs.principal.name}
        (folder / "meta.json").write_text(json.dumps(meta))

    await run_in_threadpool(make)
    base = str(request.base_url).rstrip("/")
    credentials = [
        {
            "part_number": n,
            "url": f"{base}/api/2.0/mlflow-artifacts/mpu/parts/{upload_id}/{n}",
            "headers": {},
        }
        for n in range(1, parts + 1)
    ]
    return json_response({"upload_id": upload_id, "credentials": credentials})


async def put_part(request: Request) -> Response:
    """A part's bytes (no credential: the upload id in the URL is one)."""
    folder = _spool(request.path_params["upload_id"])
    meta = json.loads((folder / "meta.json").read_text())
    number = request.path_params["number"]
    if not number.isdigit() or not 1 <= int(number) <= meta["parts"]:
        invalid(f"part {number!r} is not one of this upload's 1..{meta['parts']}")
    hasher = hashlib.sha256()
    size = 0
    final = folder / f"part-{int(number):05d}"
    partial = final.with_suffix(".partial")
    with open(partial, "wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_ARTIFACT_SIZE:
                invalid("the part is over the artifact size limit")
            hasher.update(chunk)
            await run_in_threadpool(out.write, chunk)
    etag = hasher.hexdigest()
    final.with_suffix(".sha256").write_text(etag)
    os.replace(partial, final)
    return Response(status_code=200, headers={"ETag": f'"{etag}"'})


def _parts(folder: Path, wanted: list[tuple[int, str]], meta: dict[str, Any]) -> list[Path]:
    """The part files in order, once every part is there with the ETag it was given."""
    numbers = [n for n, _ in wanted]
    if sorted(numbers) != list(range(1, meta["parts"] + 1)):
        invalid(f"the upload has {meta['parts']} parts; complete it with all of them, in order")
    files = []
    for number, etag in sorted(wanted):
        part = folder / f"part-{number:05d}"
        if not part.is_file():
            invalid(f"part {number} was never uploaded")
        if etag.strip('"') not in ("", part.with_suffix(".sha256").read_text()):
            invalid(f"part {number}'s ETag does not match what was uploaded")
        files.append(part)
    return files


def _joined(files: list[Path]) -> Iterator[bytes]:
    for part in files:
        with open(part, "rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk


def _store(tracker: Tracker, run_id: str, path: str, files: list[Path]) -> None:
    digest, size = tracker.artifacts.put_stream(_joined(files))  # one pass: hash and write
    declare_file(tracker, run_id, path, digest, size)


async def _complete(request: Request, tracker: Tracker) -> Response:
    args = await Args.read(request)
    run_id, path = await run_in_threadpool(_target, request, tracker, args)
    folder = _spool(str(args.text("upload_id", required=True)))
    meta = json.loads((folder / "meta.json").read_text())
    if (meta["run_id"], meta["path"]) != (run_id, path):
        invalid("this upload id belongs to another file")
    wanted = []
    for item in args.items("parts"):
        if not isinstance(item, dict):
            invalid("parts: a list of {part_number, etag}")
        wanted.append(
            (Args(item, {}).integer("part_number", required=True), str(item.get("etag") or ""))
        )
    files = await run_in_threadpool(_parts, folder, wanted, meta)
    try:
        await run_in_threadpool(_store, tracker, run_id, path, files)
    finally:
        await run_in_threadpool(shutil.rmtree, folder, True)
    return json_response({})


async def _abort(request: Request, tracker: Tracker) -> Response:
    args = await Args.read(request)
    run_id, _ = await run_in_threadpool(_target, request, tracker, args)
    tracker.artifacts.allow(Action.WRITE, run_id=run_id)
    folder = _spool(str(args.text("upload_id", required=True)))
    await run_in_threadpool(shutil.rmtree, folder, True)
    return json_response({})


PROXY_ROUTES: list[tuple[str, str, AsyncHandler]] = [
    ("POST", "/mpu/create/{rest:path}", _create),
    ("POST", "/mpu/complete/{rest:path}", _complete),
    ("POST", "/mpu/abort/{rest:path}", _abort),
]
