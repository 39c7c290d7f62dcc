"""The one place where errors become HTTP responses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from labledger.core.errors import TrackerError

log = logging.getLogger("labledger.server")


def _body(code: str, message: str, details: dict[str, object] | None = None) -> dict[str, object]:
    return {"error_code": code, "message": message, "details": details or {}}


def _field_name(loc: tuple[object, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TrackerError)
    async def tracker_error(_request: Request, exc: TrackerError) -> JSONResponse:
        if exc.http_status >= 500:
            log.error("request failed: %s", exc.message)
        return JSONResponse(exc.to_dict(), status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            first = errors[0]
            return JSONResponse(
                _body("malformed_json", f"request body is not valid JSON: {first.get('msg')}"),
                status_code=400,
            )
        first = errors[0]
        field = _field_name(tuple(first.get("loc", ())))
        detail = [
            {"field": _field_name(tuple(e.get("loc", ()))), "problem": e.get("msg")} for e in errors
        ]
        return JSONResponse(
            _body(
                "invalid_body", f"{field}: {first.get('msg')}", {"field": field, "errors": detail}
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            _body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(_body("internal_error", "internal server error"), status_code=500)
