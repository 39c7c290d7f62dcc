"""JSON encoding for the wire: non-finite floats travel as "NaN", "Infinity", "-Infinity"."""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import Response

from labledger.core.entities import MetricSeries, Run


def wire_float(value: float) -> float | str:
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def run_to_wire(run: Run) -> dict[str, Any]:
    data = run.to_dict()
    data["metrics"] = {k: wire_float(v) for k, v in run.metrics.items()}
    return data


def series_to_wire(series: MetricSeries) -> dict[str, Any]:
    values = series.values
    if not all(math.isfinite(v) for v in values):
        values = [wire_float(v) for v in values]  # type: ignore[misc]
    return {
        "key": series.key,
        "steps": series.steps,
        "timestamps": series.timestamps,
        "values": values,
        "total_points": series.total_points,
        "downsampled": series.downsampled,
    }


class WireJSONResponse(Response):
    """Fast JSON response for payloads already made JSON-safe."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":"), allow_nan=False).encode()
