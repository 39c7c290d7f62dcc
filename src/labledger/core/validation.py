"""Validation of everything that crosses a boundary.  Errors name the field and the limit."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from labledger.core import limits
from labledger.core.entities import RunCreate
from labledger.core.errors import InvalidInputError, LimitExceededError
from labledger.core.ids import is_valid_id

_KEY_RE = re.compile(r"[^\x00-\x1f\x7f-\x9f]+")
_PROJECT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]*")
_NON_FINITE = {
    "NaN": math.nan,
    "nan": math.nan,
    "Infinity": math.inf,
    "inf": math.inf,
    "-Infinity": -math.inf,
    "-inf": -math.inf,
}


def check_length(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise LimitExceededError(
            f"{field} is {len(value)} characters; the limit is {limit}",
            details={"field": field, "limit": limit, "length": len(value)},
        )


def check_str(field: str, value: object, limit: int, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(
            f"{field} must be a string, got {type(value).__name__}", details={"field": field}
        )
    if not value and not allow_empty:
        raise InvalidInputError(f"{field} must not be empty", details={"field": field})
    if "\x00" in value:
        raise InvalidInputError(f"{field} must not contain NUL", details={"field": field})
    check_length(field, value, limit)
    check_encodable(field, value)
    return value


def check_encodable(field: str, value: str) -> None:
    """Text must be storable as UTF-8: a lone UTF-16 surrogate (``"\\ud800"``, which JSON
    and Python strings can carry) is refused here, before any store or spool sees it."""
    if value.isascii():
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInputError(
            f"{field} contains a lone UTF-16 surrogate at position {exc.start}; text must be "
            "valid Unicode",
            details={"field": field, "position": exc.start},
        ) from None


def check_key(field: str, key: object) -> str:
    key = check_str(field, key, limits.MAX_KEY)
    if not _KEY_RE.fullmatch(key):
        raise InvalidInputError(
            f"{field} {key!r} contains control characters", details={"field": field}
        )
    if key != key.strip():
        raise InvalidInputError(
            f"{field} {key!r} has leading or trailing whitespace", details={"field": field}
        )
    return key


def check_page_size(limit: object) -> int:
    """The ``limit`` of a listing: an integer from 1 to ``MAX_PAGE_SIZE``."""
    if type(limit) is not int or not 1 <= limit <= limits.MAX_PAGE_SIZE:
        raise InvalidInputError(
            f"limit must be between 1 and {limits.MAX_PAGE_SIZE}, got {limit!r}",
            details={"field": "limit", "limit": limits.MAX_PAGE_SIZE},
        )
    return limit


def check_project_name(name: object) -> str:
    name = check_str("project", name, limits.MAX_PROJECT_NAME)
    if not _PROJECT_RE.fullmatch(name):
        raise InvalidInputError(
            f"project {name!r} must start with a letter or digit and contain only letters, "
            "digits, '.', '_' and '-'",
            details={"field": "project"},
        )
    return name


def check_step(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(
            f"{field} must be an integer, got {type(value).__name__}", details={"field": field}
        )
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise InvalidInputError(
                f"{field} must be a finite integer, got {value!r}", details={"field": field}
            )
        value = int(value)
    if not limits.MIN_STEP <= value <= limits.MAX_STEP:
        raise LimitExceededError(
            f"{field} {value} is outside the 64-bit integer range",
            details={"field": field, "limit": limits.MAX_STEP},
        )
    return value


def check_timestamp(field: str, value: object) -> int:
    ts = check_step(field, value)
    if ts < 0:
        raise InvalidInputError(f"{field} must be >= 0 (ms since epoch)", details={"field": field})
    return ts


def check_value(field: str, value: object) -> float:
    if isinstance(value, bool):
        raise InvalidInputError(f"{field} must be a number, got bool", details={"field": field})
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # an int beyond a double's range
            raise LimitExceededError(
                f"{field} is beyond the range of a 64-bit float", details={"field": field}
            ) from None
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    raise InvalidInputError(
        f"{field} must be a number (or 'NaN', 'Infinity', '-Infinity'), got {type(value).__name__}",
        details={"field": field},
    )


def check_param_value(field: str, value: object) -> str:
    return check_str(field, value, limits.MAX_PARAM_VALUE, allow_empty=True)


def check_tag_value(field: str, value: object) -> str:
    return check_str(field, value, limits.MAX_TAG_VALUE, allow_empty=True)


def check_mapping(field: str, value: object) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"{field} must be an object", details={"field": field})
    return value


def check_params(field: str, value: object) -> dict[str, str]:
    params = check_mapping(field, value)
    if len(params) > limits.MAX_PARAMS_PER_BATCH:
        raise LimitExceededError(
            f"{field} has {len(params)} entries; the limit is {limits.MAX_PARAMS_PER_BATCH}",
            details={"field": field, "limit": limits.MAX_PARAMS_PER_BATCH},
        )
    return {
        check_key(f"{field} key", k): check_param_value(f"{field}.{k}", v)
        for k, v in params.items()
    }


def check_tags(field: str, value: object) -> dict[str, str]:
    tags = check_mapping(field, value)
    if len(tags) > limits.MAX_TAGS_PER_BATCH:
        raise LimitExceededError(
            f"{field} has {len(tags)} entries; the limit is {limits.MAX_TAGS_PER_BATCH}",
            details={"field": field, "limit": limits.MAX_TAGS_PER_BATCH},
        )
    return {
        check_key(f"{field} key", k): check_tag_value(f"{field}.{k}", v) for k, v in tags.items()
    }


def check_run_create(spec: RunCreate) -> RunCreate:
    """Every field of a new run, checked where it is created: in the service, and in the
    SDK before anything is sent or spooled."""
    check_project_name(spec.project)
    if spec.id is not None and not is_valid_id(spec.id):
        raise InvalidInputError("id must be 32 lowercase hex characters", details={"field": "id"})
    if spec.parent_id is not None and not is_valid_id(spec.parent_id):
        raise InvalidInputError(
            "parent_id must be 32 lowercase hex characters", details={"field": "parent_id"}
        )
    for field, value, limit in (
        ("name", spec.name, limits.MAX_RUN_NAME),
        ("run_key", spec.run_key, limits.MAX_RUN_KEY),
        ("user", spec.user, limits.MAX_USER),
        ("group", spec.group, limits.MAX_GROUP),
        ("notes", spec.notes, limits.MAX_NOTES),
    ):
        if value is not None:
            check_str(field, value, limit, allow_empty=field == "notes")
    if spec.start_ms is not None:
        check_timestamp("start_ms", spec.start_ms)
    check_params("params", spec.params)
    check_tags("tags", spec.tags)
    return spec
