"""MLflow's REST conventions: its error body and codes, its argument passing, its credentials.

MLflow's client sends GET arguments in the query string (repeated keys for lists) and POST
arguments as a JSON object; it reads errors as ``{"error_code": ..., "message": ...}`` and
turns the HTTP status and code into its own exception classes (``RESOURCE_DOES_NOT_EXIST``
is 404, ``RESOURCE_ALREADY_EXISTS``, ``INVALID_PARAMETER_VALUE`` and ``INVALID_STATE`` are
400).  LabLedger's own errors are translated here, in one table.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from typing import Any, NoReturn

from starlette.requests import Request

from labledger.core import errors as ll
from labledger.core.identity import ANONYMOUS, Principal
from labledger.server.frontdoor import parse_json
from labledger.services.tokens import API
from labledger.services.tracker import Tracker

INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
INVALID_STATE = "INVALID_STATE"
ENDPOINT_NOT_FOUND = "ENDPOINT_NOT_FOUND"
BAD_REQUEST = "BAD_REQUEST"

_STATUS = {
    RESOURCE_DOES_NOT_EXIST: 404,
    ENDPOINT_NOT_FOUND: 404,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "INTERNAL_ERROR": 500,
}


class MlflowError(Exception):
    """An error as MLflow's server words it; ``status`` defaults to the code's usual one."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or _STATUS.get(code, 400)

    def body(self) -> dict[str, str]:
        return {"error_code": self.code, "message": self.message}


def translate(exc: ll.TrackerError) -> MlflowError:
    """LabLedger's error as the MLflow client expects to see it (same message)."""
    if isinstance(exc, ll.NotFoundError):
        return MlflowError(RESOURCE_DOES_NOT_EXIST, exc.message)
    if isinstance(exc, ll.AuthenticationError):
        return MlflowError("UNAUTHENTICATED", exc.message)
    if isinstance(exc, ll.PermissionDeniedError | ll.ForbiddenOriginError):
        return MlflowError("PERMISSION_DENIED", exc.message)
    if isinstance(exc, ll.TooManyAttemptsError):
        return MlflowError("REQUEST_LIMIT_EXCEEDED", exc.message)
    if isinstance(exc, ll.ModelExistsError | ll.UserExistsError | ll.ProjectExistsError):
        return MlflowError(RESOURCE_ALREADY_EXISTS, exc.message)
    if isinstance(exc, ll.ParamConflictError | ll.InvalidInputError):
        return MlflowError(INVALID_PARAMETER_VALUE, exc.message)
    if isinstance(exc, ll.ConflictError):
        return MlflowError(INVALID_STATE, exc.message)
    if isinstance(exc, ll.BodyTooLargeError | ll.UnsupportedMediaTypeError):
        return MlflowError(BAD_REQUEST, exc.message, exc.http_status)
    if exc.http_status == 503:
        return MlflowError("TEMPORARILY_UNAVAILABLE", exc.message, 503)
    return MlflowError("INTERNAL_ERROR", "internal server error")


def invalid(message: str) -> NoReturn:
    raise MlflowError(INVALID_PARAMETER_VALUE, message)


class Args:
    """One request's arguments, from the query string (GET, DELETE) or the JSON body."""

    def __init__(self, values: Mapping[str, Any], lists: Mapping[str, list[Any]]) -> None:
        self._values = values
        self._lists = lists

    @classmethod
    async def read(cls, request: Request) -> Args:
        if request.method in ("GET", "DELETE") and not request.headers.get("content-length"):
            query = request.query_params
            return cls({k: query[k] for k in query}, {k: query.getlist(k) for k in query})
        raw = await request.body()
        if not raw.strip():
            return cls({}, {})
        try:
            doc = parse_json(raw)
        except ll.TrackerError as exc:
            raise MlflowError(BAD_REQUEST, exc.message) from exc
        if not isinstance(doc, dict):
            invalid("the request body must be a JSON object")
        return cls(doc, {})

    def has(self, name: str) -> bool:
        return self._values.get(name) is not None

    def raw(self, name: str) -> Any:
        return self._values.get(name)

    def text(self, name: str, *, required: bool = False, default: str | None = None) -> Any:
        value = self._values.get(name)
        if value is None or value == "" and required:
            if required:
                invalid(f"Missing value for required parameter '{name}'.")
            return default
        if not isinstance(value, str):
            invalid(f"Invalid value {value!r} for parameter '{name}': it must be a string.")
        return value

    def integer(self, name: str, *, default: int | None = None, required: bool = False) -> Any:
        value = self._values.get(name)
        if value is None:
            if required:
                invalid(f"Missing value for required parameter '{name}'.")
            return default
        if isinstance(value, bool):
            invalid(f"Invalid value {value!r} for parameter '{name}': it must be an integer.")
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                invalid(f"Invalid value {value!r} for parameter '{name}': it must be an integer.")
        if not isinstance(value, int) or not -(2**63) <= value < 2**63:
            invalid(f"Invalid value {value!r} for parameter '{name}': it must be a 64-bit integer.")
        return value

    def number(self, name: str, *, required: bool = False) -> Any:
        value = self._values.get(name)
        if value is None:
            if required:
                invalid(f"Missing value for required parameter '{name}'.")
            return None
        return as_float(name, value)

    def items(self, name: str) -> list[Any]:
        if name in self._lists:
            return self._lists[name]
        value = self._values.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            invalid(f"Invalid value {value!r} for parameter '{name}': it must be a list.")
        return value

    def texts(self, name: str) -> list[str]:
        values = self.items(name)
        if not all(isinstance(v, str) for v in values):
            invalid(f"Invalid value for parameter '{name}': every item must be a string.")
        return values

    def key_values(self, name: str) -> list[tuple[str, str]]:
        """A repeated ``{key, value}`` message (tags, params)."""
        out = []
        for item in self.items(name):
            if not isinstance(item, dict):
                invalid(f"Invalid value for parameter '{name}': items are {{key, value}} objects.")
            key, value = item.get("key"), item.get("value", "")
            if not isinstance(key, str) or not key:
                invalid(f"Invalid value for parameter '{name}': each item needs a string 'key'.")
            out.append((key, stringify(value, f"{name}.value")))
        return out


def as_float(name: str, value: Any) -> float:
    """A protobuf double as JSON carries it: a number, or "NaN", "Infinity", "-Infinity"."""
    if isinstance(value, bool):
        invalid(f"Invalid value {value!r} for parameter '{name}': it must be a number.")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if value.strip().lower() in ("nan", "infinity", "-infinity", "inf", "-inf"):
                return number
            if math.isfinite(number):
                return number
    invalid(f"Invalid value {value!r} for parameter '{name}': it must be a number.")


def stringify(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value)
    invalid(f"Invalid value for parameter '{name}': it must be a string.")


def wire_double(value: float) -> float | str:
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def principal_for(request: Request, tracker: Tracker) -> Principal:
    """The caller, from ``Authorization``: ``Bearer <token>`` (``MLFLOW_TRACKING_TOKEN``) or
    ``Basic`` with a LabLedger API token as the password (``MLFLOW_TRACKING_USERNAME`` and
    ``MLFLOW_TRACKING_PASSWORD``; a username, if given, must be the token's user).  Cookies
    are not read here: MLflow's door takes no browser session, so no page can write through
    it on a user's behalf."""
    address = request.client.host if request.client else None
    if not tracker.auth:
        return ANONYMOUS.at(address, None)
    header = request.headers.get("authorization")
    if header is None:
        raise ll.AuthenticationError(
            "this server needs a credential: set MLFLOW_TRACKING_TOKEN to a LabLedger API token"
        )
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return tracker.tokens.authenticate(value, (API,)).at(address, None)
    if scheme.lower() == "basic" and value:
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            sep = ""
        if not sep:
            raise ll.AuthenticationError("the Basic credential is not base64 of 'user:password'")
        principal = tracker.tokens.authenticate(password, (API,))
        if user and user != principal.name:
            raise ll.AuthenticationError(
                "the Basic credential's username is not the user its token belongs to"
            )
        return principal.at(address, None)
    raise ll.AuthenticationError("the Authorization header must be 'Bearer <token>' or 'Basic …'")
