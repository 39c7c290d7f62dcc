"""Offline runs: recorded into the spool only, created on the target by ``labledger sync``.

``LABLEDGER_MODE=offline`` never contacts the target; ``fallback`` tries it at ``init()``
and goes offline if it cannot be reached.  The run gets its id here (the same id it will
have on the target, unless a ``run_key`` there names an existing run); the writer's meta
holds what sync needs to create it and, once finished, its final status.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from labledger.core.entities import Run as RunRecord
from labledger.core.entities import RunCreate, RunStatus
from labledger.core.errors import InvalidInputError, TransportError
from labledger.sdk.transport import RESOURCES, Transport

MODES = ("online", "offline", "fallback")


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise InvalidInputError(
            f"LABLEDGER_MODE is {mode!r}; use one of {', '.join(MODES)}",
            details={"field": "mode"},
        )
    return mode


def offline_record(spec: RunCreate) -> RunRecord:
    from labledger.services.names import random_run_name

    assert spec.id is not None
    return RunRecord(
        id=spec.id,
        project=spec.project,
        name=spec.name or random_run_name(),
        status=RunStatus.RUNNING,
        start_ms=spec.start_ms or time.time_ns() // 1_000_000,
        user=spec.user,
        parent_id=spec.parent_id,
        group=spec.group,
        notes=spec.notes,
        run_key=spec.run_key,
        params=dict(spec.params),
        tags=dict(spec.tags),
    )


def spec_to_meta(record: RunRecord, spec: RunCreate) -> dict[str, Any]:
    data = asdict(spec)
    data.update(id=record.id, name=record.name, start_ms=record.start_ms)
    return data


def spec_from_meta(data: dict[str, Any]) -> RunCreate:
    return RunCreate(**data)


class _Refusing:
    """A resource of a target that is not to be contacted: every call says so."""

    def __init__(self, *_: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        def refuse(*_: Any, **__: Any) -> Any:
            raise TransportError(
                f"this run is offline: {name} waits for `labledger sync`",
                details={"mode": "offline"},
            )

        return refuse

    def close(self) -> None:
        pass


def offline_transport() -> Transport:
    """Stands in for a target that is not to be contacted: every call says so."""
    return Transport(_Refusing(), {name: _Refusing() for name in RESOURCES})
