"""Serving the built web UI (``server/static``, produced by ``web/``'s build), and the
answer to every request no route takes.

Hashed assets are served from ``/assets`` with long caching; every other GET that is not
an API path answers ``index.html`` so the UI's client-side routes work on reload.  The last
route takes every method on every path, so that what no operation takes is answered here,
in JSON: a path some operation serves with another method is 405 with ``Allow`` naming
them, and any other API path is 404 ``not_found``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from labledger.server.routes.common import allowed_methods, method_not_allowed

STATIC_DIR = Path(__file__).parent / "static"
_NOT_BUILT = """<!doctype html><html><head><title>LabLedger</title></head><body>
<h1>LabLedger</h1><p>The web UI is not built into this installation (run
<code>make web</code> or <code>make run</code> from a checkout). The REST API is at
<a href="/api/v1/projects">/api/v1</a>; its OpenAPI document at
<a href="/openapi.json">/openapi.json</a> and <a href="/docs">/docs</a>.</p></body></html>"""
_API_PREFIXES = ("/api/", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz", "/metrics")
_UI_METHODS = ("GET", "HEAD")


def install_ui(app: FastAPI, static_dir: Path = STATIC_DIR) -> None:
    """Mount the assets and add the catch-all route (last: it must not shadow the API)."""
    assets = static_dir / "assets"
    if assets.is_dir():
        app.mount("/assets", _CachedStatic(directory=assets), name="assets")
    app.router.routes.append(Route("/{path:path}", _Fallback(app, static_dir / "index.html")))


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error_code": code, "message": message, "details": {}}, status_code=status)


class _Fallback:
    """An ASGI endpoint (so its route matches every method) for what no route took."""

    def __init__(self, app: FastAPI, index: Path) -> None:
        self.app = app
        self.index = index

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.answer(Request(scope, receive))
        await response(scope, receive, send)

    def answer(self, request: Request) -> Response:
        method, path = request.method, request.url.path
        allowed = allowed_methods(self.app.router.routes, path)
        if not allowed and not path.startswith(_API_PREFIXES):
            if method in _UI_METHODS:
                return self.ui()
            allowed = list(_UI_METHODS)
        if allowed:
            return method_not_allowed(method, path, allowed)
        return _error(404, "not_found", f"no route {path}")

    def ui(self) -> Response:
        if not self.index.exists():
            return HTMLResponse(_NOT_BUILT)
        return FileResponse(self.index, headers={"Cache-Control": "no-cache"})


class _CachedStatic(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
