"""Schemathesis hooks (schemathesis.toml loads this file for every run from the repository).

Positive cases are made to keep the rules that the OpenAPI document states in words because
JSON Schema cannot state them (docs/api.md, "What the schema cannot say"):

- an integer is written without a fraction: JSON Schema's ``integer`` admits ``242.0`` (the
  same number), this API answers it with 422 ``invalid_body``, as it does any float;
- a metric's ``steps``, ``timestamps`` and ``values`` are columns of one length;
- uploaded bytes hash to the digest they are sent under (the path's digest, a bundle frame's
  digest, ``X-Content-SHA256``), and a bundle is a sequence of frames.

Negative cases are sent as generated, and nothing else is changed: every other refusal of a
schema-valid request is a failure, or an expected status that schemathesis.toml names.
"""

from __future__ import annotations

import hashlib
import os
import struct
from typing import Any

import schemathesis

INT64 = range(-(2**63), 2**63)


def _integers(value: Any) -> Any:
    """``value`` with floats that are 64-bit integers written as integers."""
    if isinstance(value, float) and value.is_integer() and int(value) in INT64:
        return int(value)
    if isinstance(value, dict):
        return {k: _integers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integers(v) for v in value]
    return value


def _equal_columns(body: Any) -> Any:
    """A batch whose metrics' three columns are cut to the shortest of them."""
    if not isinstance(body, dict) or not isinstance(body.get("metrics"), dict):
        return body
    metrics = {}
    for key, cols in body["metrics"].items():
        columns = [cols.get(name) for name in ("steps", "timestamps", "values")]
        if isinstance(cols, dict) and all(isinstance(c, list) for c in columns):
            n = min(len(c) for c in columns)
            cols = {**cols, **{name: cols[name][:n] for name in ("steps", "timestamps", "values")}}
        metrics[key] = cols
    return {**body, "metrics": metrics}


def _equal_features(body: Any) -> Any:
    """References and telemetry whose feature columns are cut to the shortest of them."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict) or not body["data"]:
        return body
    columns = [c for c in body["data"].values() if isinstance(c, list)]
    if len(columns) != len(body["data"]):
        return body
    n = min(len(c) for c in columns)
    return {**body, "data": {k: v[:n] for k, v in body["data"].items()}}


def _uploaded(operation: str, case: Any) -> None:
    """Bytes sent under their own digest: a blob, a bundle of one frame, a part."""
    data = case.body if isinstance(case.body, bytes) else str(case.body).encode()
    digest = hashlib.sha256(data).hexdigest()
    if operation == "uploads-put_blob":
        case.body = data
        case.path_parameters = {**(case.path_parameters or {}), "digest": digest}
    elif operation == "uploads-put_blobs":
        case.body = struct.pack(">32sQ", bytes.fromhex(digest), len(data)) + data
    elif operation == "uploads-put_part":
        case.body = data
        case.headers = {**(case.headers or {}), "X-Content-SHA256": digest}


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or case.body is None:
        return case
    operation = case.operation.definition.raw.get("operationId")
    if operation in ("uploads-put_blob", "uploads-put_blobs", "uploads-put_part"):
        _uploaded(operation, case)
        return case
    case.body = _integers(case.body)
    if operation == "runs-log_batch":
        case.body = _equal_columns(case.body)
    if operation in ("deployments-log_reference", "deployments-log_production"):
        case.body = _equal_features(case.body)
    return case


# The fuzzer's own credential stays valid for the whole run: revoking its token or disabling
# its user would turn every later case into a 401 (the door is tested in tests/integration/auth).
FUZZER = os.environ.get("LABLEDGER_FUZZER_USER", "fuzzer")
FUZZER_TOKEN_ID = os.environ.get("LABLEDGER_FUZZER_TOKEN_ID", "")


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    operation = case.operation.definition.raw.get("operationId")
    params = case.path_parameters or {}
    if operation == "users-revoke_token":
        return bool(params.get("token_id") != FUZZER_TOKEN_ID)
    if operation == "users-disable_user":
        return bool(params.get("name") != FUZZER)
    return True
