"""/api/v1/auth: signing in to the UI (password, one-time login link, OpenID Connect),
the session probe the UI starts with, and signing out.

A session lives in an HttpOnly, SameSite=Lax cookie; the CSRF token the UI must send with
every change comes from the session probe or the login answer.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from labledger.core.accounts import csrf_for
from labledger.core.errors import AuthenticationError, NotFoundError
from labledger.core.identity import ANONYMOUS
from labledger.core.ids import now_ms
from labledger.server.auth import SESSION_COOKIE, resolve_principal
from labledger.server.deps import TrackerDep
from labledger.server.oidc import FLOW_COOKIE, FLOW_LIFETIME_S, OidcProvider
from labledger.server.routes.common import INPUT_400, errors
from labledger.server.schemas import accounts as schemas
from labledger.server.schemas.common import EmptyBody
from labledger.services.logins import Session

router = APIRouter(tags=["auth"])
log = logging.getLogger("labledger.server")

_401 = (401, "Not signed in, or the credential is not valid (unauthenticated).")
_429 = (429, "Too many failed logins for this user or address (too_many_attempts).")


def _with_cookie(response: Response, request: Request, session: Session) -> Response:
    response.set_cookie(
        SESSION_COOKIE,
        session.secret,
        max_age=max(1, (session.expires_ms - now_ms()) // 1000),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


def _session_body(request: Request, session: Session) -> dict[str, object]:
    return schemas.SessionPublic(
        auth=True,
        user=session.user,
        admin=session.admin,
        csrf_token=session.csrf,
        methods=_methods(request),
    ).model_dump()


def _methods(request: Request) -> list[str]:
    settings = request.app.state.settings
    return ["password", "oidc"] if settings.oidc_issuer else ["password"]


@router.get("/api/v1/auth/session", response_model=schemas.SessionPublic)
def session(request: Request, tracker: TrackerDep) -> schemas.SessionPublic:
    """Who the browser is signed in as (user null: nobody), and the CSRF token to send."""
    if not tracker.auth:
        return schemas.SessionPublic(auth=False, user=None, admin=True, csrf_token=None, methods=[])
    try:
        principal = resolve_principal(request)
    except AuthenticationError:
        principal = ANONYMOUS
    cookie = request.cookies.get(SESSION_COOKIE)
    return schemas.SessionPublic(
        auth=True,
        user=principal.name if principal.signed_in else None,
        admin=principal.admin,
        csrf_token=csrf_for(cookie) if cookie and principal.signed_in else None,
        methods=_methods(request),
    )


@router.post(
    "/api/v1/auth/login",
    response_model=schemas.SessionPublic,
    responses=errors(INPUT_400, _401, _429),
)
def login(body: schemas.LoginIn, request: Request, tracker: TrackerDep) -> Response:
    """Sign in with a user name and password: sets the session cookie."""
    session = tracker.logins.login_password(body.user, body.password)
    return _with_cookie(JSONResponse(_session_body(request, session)), request, session)


@router.post(
    "/api/v1/auth/link", response_model=schemas.SessionPublic, responses=errors(INPUT_400, _401)
)
def redeem_link(body: schemas.LinkIn, request: Request, tracker: TrackerDep) -> Response:
    """Exchange a one-time login link's token for a session."""
    session = tracker.logins.redeem_login_link(body.token)
    return _with_cookie(JSONResponse(_session_body(request, session)), request, session)


@router.get(
    "/api/v1/auth/link",
    response_class=RedirectResponse,
    status_code=303,
    responses={
        303: {"description": "To the UI, signed in (or to its login page, refused)."},
        **errors(),
    },
)
def open_link(
    request: Request,
    tracker: TrackerDep,
    token: Annotated[str, Query(max_length=200, description="The login link's token.")],
) -> Response:
    """The link a server prints: opens a session and goes to the UI, in one click."""
    try:
        session = tracker.logins.redeem_login_link(token)
    except AuthenticationError:
        return RedirectResponse("/login?error=link", status_code=303)
    return _with_cookie(RedirectResponse("/", status_code=303), request, session)


@router.post("/api/v1/auth/logout", status_code=204, responses=errors(_401))
def logout(request: Request, tracker: TrackerDep, _body: EmptyBody) -> Response:
    """End this session (its cookie stops working at once)."""
    principal = resolve_principal(request)
    if request.cookies.get(SESSION_COOKIE):
        tracker.logins.logout(principal)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _provider(request: Request) -> OidcProvider:
    provider: OidcProvider | None = getattr(request.app.state, "oidc", None)
    if provider is None:
        settings = request.app.state.settings
        if not settings.oidc_issuer:
            raise NotFoundError("OpenID Connect is not configured on this server")
        provider = request.app.state.oidc = OidcProvider(settings)
    return provider


def _callback_uri(request: Request) -> str:
    return f"{str(request.base_url).rstrip('/')}/api/v1/auth/oidc/callback"


_OIDC_404 = (404, "OpenID Connect is not configured on this server (not_found).")


@router.get(
    "/api/v1/auth/oidc/start",
    response_class=RedirectResponse,
    status_code=303,
    responses={303: {"description": "To the OpenID Connect provider."}, **errors(_OIDC_404)},
)
def oidc_start(request: Request) -> Response:
    """Sign in through the OpenID Connect provider (users are created on first login)."""
    url, flow = _provider(request).start(_callback_uri(request))
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        flow,
        max_age=FLOW_LIFETIME_S,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/api/v1/auth/oidc",
    )
    return response


@router.get(
    "/api/v1/auth/oidc/callback",
    response_class=RedirectResponse,
    status_code=303,
    responses={
        303: {"description": "To the UI, signed in (or to its login page)."},
        **errors(_OIDC_404),
    },
)
def oidc_callback(
    request: Request,
    tracker: TrackerDep,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    state: Annotated[str | None, Query(max_length=200)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Where the provider sends the browser back with an authorization code."""
    provider = _provider(request)
    params = {k: v for k, v in (("code", code), ("state", state), ("error", error)) if v}
    try:
        who = provider.finish(request.cookies.get(FLOW_COOKIE), params, _callback_uri(request))
        session = tracker.logins.login_sso(who.subject, who.preferred_name)
    except AuthenticationError as exc:
        log.warning("OpenID Connect login refused: %s", exc.message)
        response: Response = RedirectResponse("/login?error=oidc", status_code=303)
    else:
        response = _with_cookie(RedirectResponse("/", status_code=303), request, session)
    response.delete_cookie(FLOW_COOKIE, path="/api/v1/auth/oidc")
    return response
