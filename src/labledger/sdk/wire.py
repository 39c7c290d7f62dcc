"""The batch body on the wire: strict JSON, so NaN and the infinities travel as the strings
``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` (docs/limits.md), never as bare words."""

from __future__ import annotations

import json
import math
from typing import Any

_CONSTANTS = (b"NaN", b"Infinity")


def _wire(value: float) -> float | str:
    if math.isfinite(value):
        return value
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def wire_values(values: list[float]) -> list[Any]:
    """``values`` as they travel; unchanged (no copy) when all are finite."""
    # one C-level pass: a NaN or an infinity anywhere makes the sum non-finite
    if math.isfinite(sum(values)):
        return values
    return [_wire(v) for v in values]


def strict_body(body: bytes) -> bytes:
    """A body as strict JSON.  Frames spooled by LabLedger before 2026-12-07 wrote non-finite
    values as bare ``NaN``/``Infinity``, which the server now refuses: re-encode those."""
    if not any(c in body for c in _CONSTANTS):
        return body
    doc = json.loads(body, parse_constant=str)  # "NaN", "Infinity", "-Infinity" as strings
    return json.dumps(doc, separators=(",", ":"), allow_nan=False).encode()
