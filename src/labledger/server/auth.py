"""Who is calling, from the request's credential, and the door rule of every route.

A request's principal comes from ``Authorization: Bearer <token>`` (API tokens) or from the
UI's session cookie (HttpOnly, SameSite=Lax; a request that changes anything must also send
the session's CSRF token in ``X-CSRF-Token``).  Nothing in a body or a query names the
caller.  With auth off (loopback only) every request is ``ANONYMOUS`` and the policy lets
it do everything.

Every API route has a rule (``public``, ``signed_in`` or ``admin``): each router is
registered with one (``routes/__init__.py``), ``EXCEPTIONS`` names the routes that differ,
and the rule is checked before the handler runs.  A route without one is refused, and
``create_app`` will not start with one (fail closed).  The services then judge each call
by project role.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from labledger.core.accounts import csrf_for
from labledger.core.errors import AuthenticationError, PermissionDeniedError
from labledger.core.identity import ANONYMOUS, Principal
from labledger.server.metrics import request_id
from labledger.server.routing import flat_routes
from labledger.services.roles import SIGN_IN
from labledger.services.tokens import API, SESSION
from labledger.services.tracker import Tracker

SESSION_COOKIE = "labledger_session"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Rule(StrEnum):
    PUBLIC = "public"  # no credential needed (health, login, the session probe)
    SIGNED_IN = "signed_in"  # a valid credential; the services judge the project role
    ADMIN = "admin"  # a server admin (routes that call no service: /metrics)


_PUBLIC = Rule.PUBLIC

# Routes whose rule differs from their router's (method, path template) -> rule.
EXCEPTIONS: dict[tuple[str, str], Rule] = {
    ("GET", "/healthz"): _PUBLIC,
    ("GET", "/readyz"): _PUBLIC,
    ("GET", "/health"): _PUBLIC,
    ("GET", "/metrics"): Rule.ADMIN,  # per-project gauges: not for every signed-in user
    ("POST", "/api/v1/auth/logout"): Rule.SIGNED_IN,
}


def build_rules(routers: Iterable[tuple[APIRouter, Rule]]) -> dict[tuple[str, str], Rule]:
    """Every route's rule: its router's, unless ``EXCEPTIONS`` names it."""
    rules: dict[tuple[str, str], Rule] = {}
    for router, rule in routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                for method in route.methods or ():
                    rules[(method, route.path)] = EXCEPTIONS.get((method, route.path), rule)
    return rules


def missing_rules(routes: Iterable[BaseRoute], rules: dict[tuple[str, str], Rule]) -> list[str]:
    """API routes of the app that no rule covers (the app refuses to start with any)."""
    return [
        f"{method} {route.path}"
        for route in flat_routes(routes)
        if isinstance(route, APIRoute)
        for method in sorted(route.methods or ())
        if (method, route.path) not in rules
    ]


def resolve_principal(request: Request) -> Principal:
    """The request's caller (computed once per request).  On a public route a credential
    that does not hold (a stale cookie at the login form) makes the caller anonymous
    instead of refusing the request."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    tracker: Tracker = request.app.state.tracker
    principal = ANONYMOUS
    if tracker.auth:
        try:
            principal = _from_credential(request, tracker)
        except (AuthenticationError, PermissionDeniedError):
            if _rule_of(request) is not Rule.PUBLIC:
                raise
    address = request.client.host if request.client else None
    principal = principal.at(address, request_id.get() or None)
    request.state.principal = principal
    return principal


def _from_credential(request: Request, tracker: Tracker) -> Principal:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthenticationError(
                "the Authorization header must be 'Bearer <token>'",
                details={"field": "Authorization"},
            )
        return tracker.tokens.authenticate(value.strip(), (API,))
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        principal = tracker.tokens.authenticate(cookie, (SESSION,))
        if request.method not in _SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if sent != csrf_for(cookie):
                raise PermissionDeniedError(
                    "this request changes something and lacks the session's CSRF token "
                    "(X-CSRF-Token, from GET /api/v1/auth/session)",
                    details={"field": "X-CSRF-Token", "reason": "csrf"},
                )
        return principal
    return ANONYMOUS


def _rule_of(request: Request) -> Rule | None:
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    rules: dict[tuple[str, str], Rule] = request.app.state.rules
    return rules.get((request.method, path))


def enforce_rule(request: Request) -> None:
    """The app-wide dependency: the route's door rule, before its handler."""
    path = getattr(request.scope.get("route"), "path", request.url.path)
    rule = _rule_of(request)
    if rule is None:
        raise PermissionDeniedError(
            f"{request.method} {path} has no access rule: refused",
            details={"reason": "no_rule"},
        )
    if rule is Rule.PUBLIC:
        return
    tracker: Tracker = request.app.state.tracker
    principal = resolve_principal(request)
    if not tracker.auth:
        return
    if not principal.signed_in:
        raise AuthenticationError(f"this server needs a login; {SIGN_IN}")
    if rule is Rule.ADMIN and not principal.admin:
        raise PermissionDeniedError(
            f"{request.method} {path} is for server admins", details={"reason": "admin"}
        )


def document_credentials(schema: dict[str, Any], rules: dict[tuple[str, str], Rule]) -> None:
    """State in the OpenAPI document how each operation is reached: its security schemes
    (a bearer token, or the UI's session cookie) and the 401 and 403 it can answer."""
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(
        {
            "token": {"type": "http", "scheme": "bearer", "description": "An API token (ll_…)."},
            "session": {
                "type": "apiKey",
                "in": "cookie",
                "name": SESSION_COOKIE,
                "description": "The UI's session; changes also need X-CSRF-Token.",
            },
        }
    )
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}}
    by_document_path = {(m, re.sub(r":\w+}", "}", p)): rule for (m, p), rule in rules.items()}
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            rule = by_document_path.get((method.upper(), path))
            if rule is None or rule is Rule.PUBLIC or not isinstance(operation, dict):
                continue
            operation["security"] = [{"token": []}, {"session": []}]
            responses = operation.setdefault("responses", {})
            responses.setdefault(
                "401",
                {
                    "description": "No credential, or not a valid one (unauthenticated).",
                    "content": error,
                },
            )
            responses.setdefault(
                "403",
                {
                    "description": "The caller may not do this (permission_denied).",
                    "content": error,
                },
            )
