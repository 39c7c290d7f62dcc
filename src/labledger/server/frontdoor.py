"""The front door: the rules every request body meets before any route sees it.

One ASGI middleware, the same for every route (docs/limits.md, "Requests"):

- a URL whose path or query string is not valid UTF-8 once percent-decoded (``%FF``, or
  ``%ED%A0%80``, a lone surrogate) is refused (400 ``invalid_input`` naming the parameter),
  on every method: decoding would otherwise replace such bytes silently;
- a write (POST, PUT, PATCH, DELETE) whose ``Origin`` names another site than the server's
  own, or one of ``LABLEDGER_ALLOWED_ORIGINS``, is refused (403 ``origin_not_allowed``);
- a body over ``MAX_REQUEST_BODY`` is refused (413 ``body_too_large``): by its
  ``Content-Length`` before a byte is read, or as soon as a chunked body crosses the limit;
- a POST always declares the media type its route takes, and so does any write that carries
  a body: ``application/json`` unless the route's OpenAPI ``requestBody`` names another
  (the binary upload routes take ``application/octet-stream``); anything else is 415.  A
  browser cannot send such a POST to another site without a CORS preflight, which this
  server never answers with permission, so a foreign page can neither write nor trigger;
- a JSON body is read whole and parsed strictly (orjson) before the route runs: invalid
  UTF-8, lone UTF-16 surrogates, ``NaN`` literals, numbers that overflow a double, and
  nesting deeper than ``MAX_JSON_DEPTH`` are refused with 400 naming the problem.  The
  parsed document is left in ``scope["labledger.json"]`` for routes that parse by hand.

Mounted sub-applications whose handlers stream a whole file (MLflow's artifact proxy) are
named by ``streamed_prefixes``: their writes meet the origin rule only.

Requests to paths no route takes pass through untouched: the router answers 404 or 405
without reading their bodies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import orjson
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labledger.core.errors import (
    BodyTooLargeError,
    ForbiddenOriginError,
    InvalidInputError,
    LimitExceededError,
    MalformedBodyError,
    TrackerError,
    UnsupportedMediaTypeError,
)
from labledger.core.limits import MAX_JSON_DEPTH, MAX_REQUEST_BODY

JSON = "application/json"
PARSED_JSON = "labledger.json"  # scope key: the body as parsed here
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RouteTable:
    """Which media types each write operation takes, read from the app's own OpenAPI
    document (compiled on first use), so what is enforced is what is documented."""

    def __init__(self, schema: Callable[[], dict[str, Any]]) -> None:
        self._schema = schema
        self._paths: list[tuple[re.Pattern[str], dict[str, frozenset[str]]]] | None = None

    def media_types(self, method: str, path: str) -> frozenset[str] | None:
        """The media types the operation takes, or None when the path's first documented
        match (literal paths before templates, as the router resolves them) has no such
        write: the router then answers 404 or 405."""
        if self._paths is None:
            self._paths = _compile(self._schema())
        for pattern, writes in self._paths:
            if pattern.fullmatch(path):
                return writes.get(method)
        return None


def _compile(schema: dict[str, Any]) -> list[tuple[re.Pattern[str], dict[str, frozenset[str]]]]:
    paths = []
    for template, item in schema.get("paths", {}).items():
        regex = "".join(
            "[^/]+" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{[^}]+\})", template)
        )
        writes = {}
        for method, operation in item.items():
            if method.upper() in _WRITES:
                content = operation.get("requestBody", {}).get("content", {})
                writes[method.upper()] = frozenset(content) if content else frozenset({JSON})
        paths.append(("{" in template, re.compile(regex), writes))
    paths.sort(key=lambda row: row[0])  # literal paths first: /blobs/verify before /blobs/{d}
    return [(pattern, writes) for _, pattern, writes in paths]


def json_depth_exceeds(doc: Any, limit: int) -> bool:
    """True when arrays and objects nest deeper than ``limit``.  Iterative, so a hostile
    document cannot exhaust the stack; long flat arrays cost one C-level pass each."""
    if not isinstance(doc, list | dict):
        return False
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children: Iterable[Any]
        if isinstance(node, dict):
            children = node.values()
        else:
            kinds = set(map(type, node))
            if list not in kinds and dict not in kinds:
                continue
            children = node
        stack.extend((c, depth + 1) for c in children if isinstance(c, list | dict))
    return False


def parse_json(body: bytes) -> Any:
    """Strict JSON, or a 400 naming what is wrong and where."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc):
            raise _too_deep() from None
        raise MalformedBodyError(
            f"request body is not valid JSON: {exc}",
            details={"field": "body", "position": exc.pos},
        ) from None
    # a document with fewer brackets than the limit cannot nest deeper than it
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and json_depth_exceeds(
        doc, MAX_JSON_DEPTH
    ):
        raise _too_deep()
    return doc


def _too_deep() -> LimitExceededError:
    return LimitExceededError(
        f"request body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels",
        details={"field": "body", "limit": MAX_JSON_DEPTH},
    )


def _media_type(header: str) -> tuple[str, str | None]:
    """('application/json', 'utf-8') from 'application/json; charset=UTF-8'."""
    kind, _, rest = header.partition(";")
    charset = None
    for param in rest.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "charset":
            charset = value.strip().strip('"').lower()
    return kind.strip().lower(), charset


class FrontDoor:
    """The middleware.  ``schema`` gives the app's OpenAPI document (read on the first
    request, when every route is registered)."""

    def __init__(
        self,
        app: ASGIApp,
        schema: Callable[[], dict[str, Any]],
        allowed_origins: frozenset[str] = frozenset(),
        streamed_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.routes = RouteTable(schema)
        self.allowed_origins = allowed_origins
        self.streamed_prefixes = streamed_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_url(scope)
            if scope["method"] in _WRITES:
                receive = await self._admit(scope, receive)
        except TrackerError as exc:
            await _refuse(exc, send)
            return
        await self.app(scope, receive, send)

    async def _admit(self, scope: Scope, receive: Receive) -> Receive:
        """Check a write; return the ``receive`` the app should read the body from."""
        headers = Headers(scope=scope)
        self._check_origin(headers)
        if scope["path"].startswith(self.streamed_prefixes):
            return receive  # a whole file, streamed to disk by its handler (its own limit)
        length = _content_length(headers)
        if length is not None and length > MAX_REQUEST_BODY:
            raise _too_large(length)
        accepted = self.routes.media_types(scope["method"], scope["path"])
        if accepted is None:  # no such operation: the router answers 404 or 405 unread
            return _limited(receive)
        has_body = (length is not None and length > 0) or "transfer-encoding" in headers
        if has_body or scope["method"] == "POST":
            _check_media_type(headers.get("content-type"), accepted)
        if not has_body:
            return receive
        if JSON in accepted:
            body = await _read_limited(receive)
            if body:
                scope[PARSED_JSON] = parse_json(body)
            return _replay(body, receive)
        return _limited(receive)

    def _check_origin(self, headers: Headers) -> None:
        origin = headers.get("origin")
        if origin is None:
            return  # not sent by a browser on another page (browsers send it on writes)
        normalized = origin.strip().rstrip("/").lower()
        host = (headers.get("host") or "").lower()
        if urlsplit(normalized).netloc == host and host:
            return
        if normalized in self.allowed_origins:
            return
        raise ForbiddenOriginError(
            f"writes from the web origin {origin!r} are not allowed; the server accepts its "
            "own origin and those in LABLEDGER_ALLOWED_ORIGINS",
            details={"field": "Origin", "origin": origin},
        )


def _strict_utf8(raw: bytes) -> bool:
    if b"%" not in raw and raw.isascii():
        return True
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check_url(scope: Scope) -> None:
    """Refuse a path or query parameter that is not UTF-8 once percent-decoded."""
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
    if not _strict_utf8(raw_path):
        raise InvalidInputError(
            "the URL path is not valid UTF-8 once percent-decoded", details={"field": "path"}
        )
    for pair in scope.get("query_string", b"").split(b"&"):
        name, _, value = pair.partition(b"=")
        if not (_strict_utf8(name) and _strict_utf8(value)):
            field = unquote_to_bytes(name).decode("utf-8", "replace") or "query"
            raise InvalidInputError(
                f"query parameter {field!r} is not valid UTF-8 once percent-decoded",
                details={"field": field},
            )


def _check_media_type(header: str | None, accepted: frozenset[str]) -> None:
    expected = " or ".join(sorted(accepted))
    if header is None:
        raise UnsupportedMediaTypeError(
            f"Content-Type is missing; this route takes {expected}",
            details={"field": "Content-Type", "expected": sorted(accepted)},
        )
    kind, charset = _media_type(header)
    if kind not in accepted or (kind == JSON and charset not in (None, "utf-8")):
        raise UnsupportedMediaTypeError(
            f"Content-Type {header!r} is not accepted; this route takes {expected}"
            + (" (UTF-8)" if kind == JSON else ""),
            details={"field": "Content-Type", "expected": sorted(accepted)},
        )


def _content_length(headers: Headers) -> int | None:
    raw = headers.get("content-length")
    if raw is None:
        return None
    if not raw.isdigit():
        raise MalformedBodyError(
            f"Content-Length {raw!r} is not a number", details={"field": "Content-Length"}
        )
    return int(raw)


def _too_large(size: int | None) -> BodyTooLargeError:
    said = f"is {size} bytes" if size is not None else "goes on past the limit"
    return BodyTooLargeError(
        f"the request body {said}; the limit is {MAX_REQUEST_BODY} bytes "
        "(larger artifacts go through /api/v1/uploads in parts)",
        details={"field": "body", "limit": MAX_REQUEST_BODY},
    )


async def _read_limited(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away; the route sees an empty body and its disconnect
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > MAX_REQUEST_BODY:
            raise _too_large(None)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _limited(receive: Receive) -> Receive:
    """A binary body passed on as it arrives, cut off at the limit (chunked uploads)."""
    total = 0

    async def limited() -> Message:
        nonlocal total
        message = await receive()
        if message["type"] == "http.request":
            total += len(message.get("body", b""))
            if total > MAX_REQUEST_BODY:
                raise _too_large(None)
        return message

    return limited


async def _refuse(exc: TrackerError, send: Send) -> None:
    body = orjson.dumps(exc.to_dict())
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if isinstance(exc, BodyTooLargeError):
        headers.append((b"connection", b"close"))  # the rest of the body is never read
    await send({"type": "http.response.start", "status": exc.http_status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def document_refusals(schema: dict[str, Any]) -> None:
    """Add the front door's answers to every operation of an OpenAPI document."""
    writes = {
        "403": "The request came from a web page of another origin.",
        "413": f"The body is over {MAX_REQUEST_BODY} bytes.",
        "415": "The Content-Type is not the one the operation takes.",
    }
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            answers: dict[str, str] = {}
            if method.upper() in _WRITES:
                answers.update(writes)
            if method.upper() == "POST" or "requestBody" in operation:
                answers["400"] = (
                    "The body is not strict JSON, or is nested too deeply; or the URL is not UTF-8."
                )
            else:
                answers["400"] = "A URL parameter is not UTF-8 once percent-decoded."
            responses = operation["responses"]
            for status, description in answers.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {JSON: {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}},
                    },
                )
