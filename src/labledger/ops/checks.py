"""What a doctor check reports: its name, a status, a summary and what to do."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    summary: str
    explanation: str = ""  # why it matters and what to do; empty when ok

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status.value}


def ok(name: str, summary: str) -> Check:
    return Check(name, Status.OK, summary)
