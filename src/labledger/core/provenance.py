"""Provenance on the wire: the captured environment and dataset references in a batch, and
the canonical JSON that environments and seals are hashed in.  Errors name the field."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from labledger.core import limits
from labledger.core.artifact_validation import check_digest
from labledger.core.entities import DatasetRef
from labledger.core.errors import InvalidInputError, LimitExceededError
from labledger.core.validation import check_key, check_str

_ROLE_RE = re.compile(r"[A-Za-z0-9_\-]+")


def canonical_json(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8, floats by ``repr`` (so NaN
    and infinities are representable and every float round-trips)."""
    return json.dumps(
        _canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def _canonical(value: Any) -> Any:
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_environment(value: object) -> dict[str, Any]:
    """A JSON object of at most MAX_ENVIRONMENT_BYTES in canonical form."""
    if not isinstance(value, Mapping):
        raise InvalidInputError("environment must be an object", details={"field": "environment"})
    size = len(canonical_json(value))
    if size > limits.MAX_ENVIRONMENT_BYTES:
        raise LimitExceededError(
            f"environment is {size} bytes; the limit is {limits.MAX_ENVIRONMENT_BYTES}",
            details={"field": "environment", "limit": limits.MAX_ENVIRONMENT_BYTES},
        )
    return dict(value)


def _count(field: str, value: object, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if type(value) is not int or value < 0:
        raise InvalidInputError(f"{field} must be an integer >= 0", details={"field": field})
    if value > limits.MAX_STEP:
        raise LimitExceededError(
            f"{field} {value} is beyond the 64-bit integer range",
            details={"field": field, "limit": limits.MAX_STEP},
        )
    return value


def check_role(field: str, value: object) -> str:
    role = check_str(field, value, limits.MAX_DATASET_ROLE)
    if not _ROLE_RE.fullmatch(role):
        raise InvalidInputError(
            f"{field} {role!r} may only hold letters, digits, '_' and '-'",
            details={"field": field},
        )
    return role


def check_dataset(field: str, value: object) -> DatasetRef:
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"{field} must be an object", details={"field": field})
    allowed = {"name", "role", "uri", "digest", "size", "files", "rows", "format", "schema"}
    unknown = set(value) - allowed
    if unknown:
        name = f"{field}.{sorted(unknown)[0]}"
        raise InvalidInputError(f"unknown field {name}", details={"field": name})
    schema = value.get("schema")
    columns: list[tuple[str, str]] | None = None
    if schema is not None:
        if not isinstance(schema, list):
            raise InvalidInputError(
                f"{field}.schema must be an array", details={"field": f"{field}.schema"}
            )
        if len(schema) > limits.MAX_DATASET_COLUMNS:
            raise LimitExceededError(
                f"{field}.schema has {len(schema)} columns; the limit is "
                f"{limits.MAX_DATASET_COLUMNS}",
                details={"field": f"{field}.schema", "limit": limits.MAX_DATASET_COLUMNS},
            )
        columns = []
        for i, col in enumerate(schema):
            where = f"{field}.schema[{i}]"
            if not isinstance(col, list | tuple) or len(col) != 2:
                raise InvalidInputError(f"{where} must be [column, type]", details={"field": where})
            name = check_str(where, col[0], limits.MAX_KEY, allow_empty=True)
            columns.append((name, check_str(where, col[1], limits.MAX_KEY, allow_empty=True)))
    fmt = value.get("format")
    return DatasetRef(
        name=check_key(f"{field}.name", value.get("name")),
        role=check_role(f"{field}.role", value.get("role", "input")),
        uri=check_str(f"{field}.uri", value.get("uri"), limits.MAX_DATASET_URI),
        digest=check_digest(f"{field}.digest", value.get("digest")),
        size=_count(f"{field}.size", value.get("size")) or 0,
        files=_count(f"{field}.files", value.get("files", 1)) or 0,
        rows=_count(f"{field}.rows", value.get("rows"), optional=True),
        format=None
        if fmt is None
        else check_str(f"{field}.format", fmt, limits.MAX_DATASET_FORMAT),
        schema=columns,
    )


def check_datasets(value: object) -> tuple[DatasetRef, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidInputError("datasets must be an array", details={"field": "datasets"})
    if len(value) > limits.MAX_DATASETS_PER_BATCH:
        raise LimitExceededError(
            f"datasets has {len(value)} entries; the limit is {limits.MAX_DATASETS_PER_BATCH}",
            details={"field": "datasets", "limit": limits.MAX_DATASETS_PER_BATCH},
        )
    return tuple(check_dataset(f"datasets[{i}]", d) for i, d in enumerate(value))
