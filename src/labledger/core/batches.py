"""The wire form of a batch (metrics as columns, params, tags, environment, datasets)
checked and turned into a ``Batch``: the one parser every door uses."""

from __future__ import annotations

from typing import Any

from labledger.core import limits
from labledger.core.entities import Batch
from labledger.core.errors import InvalidInputError, LimitExceededError
from labledger.core.provenance import check_datasets, check_environment
from labledger.core.validation import (
    check_key,
    check_mapping,
    check_params,
    check_step,
    check_str,
    check_tags,
    check_timestamp,
    check_value,
)


def _column(field: str, value: object, n: int | None) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInputError(f"{field} must be an array", details={"field": field})
    if n is not None and len(value) != n:
        raise InvalidInputError(
            f"{field} has {len(value)} items but steps has {n}", details={"field": field}
        )
    return value


def parse_batch(body: object) -> Batch:
    """Validate a wire batch and return it as an entity.  Raises before anything is written.

    Wire shape::

        {"batch_id": "...", "params": {k: v}, "tags": {k: v},
         "metrics": {key: {"steps": [...], "timestamps": [...], "values": [...]}}}
    """
    body = check_mapping("body", body)
    unknown = set(body) - {"batch_id", "metrics", "params", "tags", "environment", "datasets"}
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInputError(f"unknown field {name!r}", details={"field": name})
    batch_id = body.get("batch_id")
    if batch_id is not None:
        batch_id = check_str("batch_id", batch_id, limits.MAX_BATCH_ID)
    metrics: dict[str, tuple[list[int], list[int], list[float]]] = {}
    total = 0
    for key, cols in check_mapping("metrics", body.get("metrics")).items():
        key = check_key("metrics key", key)
        field = f"metrics.{key}"
        cols = check_mapping(field, cols)
        extra = set(cols) - {"steps", "timestamps", "values"}
        if extra:
            name = f"{field}.{sorted(extra)[0]}"
            raise InvalidInputError(f"unknown field {name}", details={"field": name})
        steps_raw = _column(f"{field}.steps", cols.get("steps"), None)
        n = len(steps_raw)
        total += n
        if total > limits.MAX_POINTS_PER_BATCH:
            raise LimitExceededError(
                f"batch has more than {limits.MAX_POINTS_PER_BATCH} metric points",
                details={"field": "metrics", "limit": limits.MAX_POINTS_PER_BATCH},
            )
        ts_raw = _column(f"{field}.timestamps", cols.get("timestamps"), n)
        vals_raw = _column(f"{field}.values", cols.get("values"), n)
        steps = [_fast_int(f"{field}.steps", s) for s in steps_raw]
        stamps = [_fast_int(f"{field}.timestamps", t, nonneg=True) for t in ts_raw]
        values = [_fast_float(f"{field}.values", v) for v in vals_raw]
        metrics[key] = (steps, stamps, values)
    environment = body.get("environment")
    return Batch(
        batch_id=batch_id,
        metrics=metrics,
        params=check_params("params", body.get("params")),
        tags=check_tags("tags", body.get("tags")),
        environment=None if environment is None else check_environment(environment),
        datasets=check_datasets(body.get("datasets")),
    )


def _fast_int(field: str, value: object, *, nonneg: bool = False) -> int:
    if type(value) is int and limits.MIN_STEP <= value <= limits.MAX_STEP:
        if nonneg and value < 0:
            raise InvalidInputError(f"{field} must be >= 0", details={"field": field})
        return value
    return check_timestamp(field, value) if nonneg else check_step(field, value)


def _fast_float(field: str, value: object) -> float:
    if type(value) is float:
        return value
    return check_value(field, value)
