"""Wire models of sign-in (/api/v1/auth), users and tokens (/api/v1/users, /api/v1/tokens)
and project members."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from labledger.core import accounts, limits
from labledger.server.schemas.common import PROJECT, TEXT, Rule, Strict

USER_NAME = "^[A-Za-z0-9][A-Za-z0-9._@+-]*$"
UserName = Annotated[
    str, Rule({"maxLength": accounts.MAX_USER_NAME, "minLength": 1, "pattern": USER_NAME})
]
RoleName = Literal["viewer", "editor", "maintainer", "owner"]


class LoginIn(Strict):
    user: UserName
    password: Annotated[
        str, Rule({"maxLength": accounts.MAX_PASSWORD, "minLength": 1, "pattern": TEXT})
    ]


class LinkIn(Strict):
    token: Annotated[str, Rule({"maxLength": 200, "pattern": TEXT})] = Field(
        description="The login link's token."
    )


class SessionPublic(BaseModel):
    auth: bool = Field(description="Whether this server asks for credentials at all.")
    user: str | None = Field(description="The signed-in user, or null.")
    admin: bool
    csrf_token: str | None = Field(
        description="Send it as X-CSRF-Token with every request that changes something."
    )
    methods: list[str] = Field(description="Ways to sign in here: password, oidc.")


class UserIn(Strict):
    name: UserName
    admin: bool = False
    service: bool = Field(default=False, description="A service account (CI, a scheduler).")


class UserPublic(BaseModel):
    name: str
    kind: str
    admin: bool
    disabled: bool
    has_password: bool
    sso: bool
    created_ms: int


class UsersPublic(BaseModel):
    users: list[UserPublic]


class PasswordIn(Strict):
    password: Annotated[
        str,
        Rule(
            {
                "maxLength": accounts.MAX_PASSWORD,
                "minLength": accounts.MIN_PASSWORD,
                "pattern": TEXT,
            }
        ),
    ]
    current: Annotated[str, Rule({"maxLength": accounts.MAX_PASSWORD, "pattern": TEXT})] | None = (
        Field(None, description="Your current password, when changing your own and you have one.")
    )


class TokenIn(Strict):
    scope: Literal["read", "write", "admin"] = "write"
    expires_in: Annotated[str, Rule({"pattern": "^[0-9]{1,6}[mhdw]$"})] | None = Field(
        default="90d", description="Lifetime such as 30m, 12h, 90d, 4w; null: no expiry."
    )
    label: Annotated[str, Rule({"maxLength": accounts.MAX_TOKEN_LABEL, "pattern": TEXT})] | None = (
        None
    )


class TokenPublic(BaseModel):
    id: str
    user: str
    scope: str
    label: str | None
    created_ms: int
    expires_ms: int | None
    last_used_ms: int | None
    revoked_ms: int | None


class NewTokenPublic(TokenPublic):
    token: str = Field(description="The secret: shown this once, never again.")


class TokensPublic(BaseModel):
    tokens: list[TokenPublic]


class LoginLinkPublic(BaseModel):
    url: str = Field(description="Opens a UI session once; keep it private.")


class ProjectIn(Strict):
    name: Annotated[str, Rule({"maxLength": limits.MAX_PROJECT_NAME, "pattern": PROJECT})]
    owner: UserName


class MemberIn(Strict):
    role: RoleName


class DefaultRoleIn(Strict):
    role: Literal["viewer", "editor"] | None = Field(
        description="Every signed-in user's role in the project; null: members only."
    )


class MemberPublic(BaseModel):
    user: str
    kind: str
    role: str
    added_ms: int


class MembersPublic(BaseModel):
    project: str
    members: list[MemberPublic]
    default_role: str | None = None
