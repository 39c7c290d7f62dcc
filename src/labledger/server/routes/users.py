"""/api/v1/users and /api/v1/tokens: users (server admins), a user's own tokens and
password, and one-time login links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from labledger.server.deps import TrackerDep
from labledger.server.routes.common import INPUT_400, errors
from labledger.server.schemas import accounts as schemas
from labledger.server.schemas.common import EmptyBody
from labledger.services.tokens import Token
from labledger.services.users import User

router = APIRouter(tags=["users"])

UserPath = Annotated[
    str,
    Path(
        description="A user name.",
        json_schema_extra={"maxLength": 100, "pattern": schemas.USER_NAME},
    ),
]
TokenPath = Annotated[str, Path(description="A token id.", json_schema_extra={"maxLength": 32})]
_403 = (403, "Only the user itself or a server admin (permission_denied).")
_404 = (404, "No such user (user_not_found).")
_409 = (409, "The name is taken (user_exists).")


def _user(user: User) -> schemas.UserPublic:
    return schemas.UserPublic(**user.to_dict())


def _token(token: Token) -> schemas.TokenPublic:
    return schemas.TokenPublic(**token.to_dict())


@router.get("/api/v1/users", response_model=schemas.UsersPublic, responses=errors(_403))
def list_users(tracker: TrackerDep) -> schemas.UsersPublic:
    return schemas.UsersPublic(users=[_user(u) for u in tracker.users.list_users()])


@router.post(
    "/api/v1/users",
    status_code=201,
    response_model=schemas.UserPublic,
    responses=errors(INPUT_400, _403, _409),
)
def add_user(body: schemas.UserIn, tracker: TrackerDep) -> schemas.UserPublic:
    return _user(tracker.users.add_user(body.name, admin=body.admin, service=body.service))


@router.get("/api/v1/users/{name}", response_model=schemas.UserPublic, responses=errors(_403, _404))
def get_user(name: UserPath, tracker: TrackerDep) -> schemas.UserPublic:
    return _user(tracker.users.get_user(name))


@router.post(
    "/api/v1/users/{name}/disable",
    response_model=schemas.UserPublic,
    responses=errors(INPUT_400, _403, _404),
)
def disable_user(name: UserPath, tracker: TrackerDep, _body: EmptyBody) -> schemas.UserPublic:
    """Disable a user: every token and session of theirs stops working at once."""
    return _user(tracker.users.disable_user(name))


@router.post(
    "/api/v1/users/{name}/enable",
    response_model=schemas.UserPublic,
    responses=errors(INPUT_400, _403, _404),
)
def enable_user(name: UserPath, tracker: TrackerDep, _body: EmptyBody) -> schemas.UserPublic:
    return _user(tracker.users.enable_user(name))


@router.put(
    "/api/v1/users/{name}/password", status_code=204, responses=errors(INPUT_400, _403, _404)
)
def set_password(name: UserPath, body: schemas.PasswordIn, tracker: TrackerDep) -> None:
    """Set a password for the login form: your own (with ``current`` when you have one),
    or anyone's as a server admin.  The user's other sessions and login links end."""
    tracker.users.set_password(name, body.password, body.current)


@router.post(
    "/api/v1/users/{name}/login-link",
    status_code=201,
    response_model=schemas.LoginLinkPublic,
    responses=errors(INPUT_400, _403, _404),
)
def create_login_link(
    name: UserPath,
    request: Request,
    tracker: TrackerDep,
    body: EmptyBody,  # noqa: ARG001 - the answer needs {} or nothing
) -> schemas.LoginLinkPublic:
    """A one-time link that opens a UI session for the user (server admins)."""
    secret = tracker.logins.create_login_link(name)
    base = str(request.base_url).rstrip("/")
    return schemas.LoginLinkPublic(url=f"{base}/api/v1/auth/link?token={secret}")


@router.get(
    "/api/v1/users/{name}/tokens", response_model=schemas.TokensPublic, responses=errors(_403, _404)
)
def list_tokens(name: UserPath, tracker: TrackerDep) -> schemas.TokensPublic:
    return schemas.TokensPublic(tokens=[_token(t) for t in tracker.tokens.list_tokens(name)])


@router.post(
    "/api/v1/users/{name}/tokens",
    status_code=201,
    response_model=schemas.NewTokenPublic,
    responses=errors(INPUT_400, _403, _404),
)
def create_token(
    name: UserPath, body: schemas.TokenIn, tracker: TrackerDep
) -> schemas.NewTokenPublic:
    """A new API token; its secret is in this answer and nowhere else, ever."""
    new = tracker.tokens.create_token(
        name, scope=body.scope, expires_in=body.expires_in, label=body.label
    )
    return schemas.NewTokenPublic(**new.token.to_dict(), token=new.secret)


@router.delete(
    "/api/v1/tokens/{token_id}",
    response_model=schemas.TokenPublic,
    responses=errors(_403, (404, "No such token (token_not_found).")),
)
def revoke_token(token_id: TokenPath, tracker: TrackerDep) -> schemas.TokenPublic:
    """Revoke a token at once (its user or a server admin)."""
    return _token(tracker.tokens.revoke_token(token_id))
