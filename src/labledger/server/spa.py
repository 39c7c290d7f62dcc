"""Serving the built web UI (``server/static``, produced by ``web/``'s build).

Hashed assets are served from ``/assets`` with long caching; every other GET that is not
an API route answers ``index.html`` so the UI's client-side routes work on reload.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
_NOT_BUILT = """<!doctype html><html><head><title>LabLedger</title></head><body>
<h1>LabLedger</h1><p>The web UI is not built into this installation (run
<code>make web</code> or <code>make run</code> from a checkout). The REST API is at
<a href="/api/v1/projects">/api/v1</a>; its OpenAPI document at
<a href="/openapi.json">/openapi.json</a> and <a href="/docs">/docs</a>.</p></body></html>"""
_API_PREFIXES = ("/api/", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz")


def install_ui(app: FastAPI, static_dir: Path = STATIC_DIR) -> None:
    index = static_dir / "index.html"
    assets = static_dir / "assets"
    if assets.is_dir():
        app.mount("/assets", _CachedStatic(directory=assets), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    def ui(path: str) -> Response:
        if f"/{path}".startswith(_API_PREFIXES):
            raise HTTPException(status_code=404, detail=f"no route /{path}")
        if not index.exists():
            return HTMLResponse(_NOT_BUILT)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})


class _CachedStatic(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
