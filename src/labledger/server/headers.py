"""Security headers on every answer, and CORS only for the origins an operator lists.

- every response: ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and
  ``Referrer-Policy: same-origin`` (no page of this server is ever framed);
- the UI's pages (HTML): a Content-Security-Policy allowing only this origin's scripts and
  connections, no framing, no plugins (inline styles stay allowed: the component library
  sets them).  A response that already carries a policy keeps it (artifact files are served
  with ``sandbox``).

CORS is off (no ``Access-Control-*`` header, so browsers keep other sites from reading
answers) unless ``LABLEDGER_ALLOWED_ORIGINS`` lists origins; those may then call the API
with a bearer token (never with the UI's cookie: credentials are not allowed cross-site).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UI_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_ALWAYS = (
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _ALWAYS:
                    if name not in headers:
                        headers[name] = value
                is_html = headers.get("content-type", "").startswith("text/html")
                if is_html and "content-security-policy" not in headers:
                    headers["content-security-policy"] = UI_POLICY
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cors_options(origins: frozenset[str]) -> dict[str, object] | None:
    """CORSMiddleware's options for the listed origins; None: no CORS at all."""
    if not origins:
        return None
    return {
        "allow_origins": sorted(origins),
        "allow_methods": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        "allow_headers": ["Authorization", "Content-Type", "X-Request-ID", "X-Content-SHA256"],
        "allow_credentials": False,
        "expose_headers": ["X-Request-ID", "Content-Range", "ETag"],
        "max_age": 600,
    }


__all__ = ["CORSMiddleware", "SecurityHeaders", "cors_options"]
