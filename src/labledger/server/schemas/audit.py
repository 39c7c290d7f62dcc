"""Wire models of /api/v1/audit."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class AuditEntryPublic(BaseModel):
    seq: int
    time_ms: int
    actor: str
    action: str
    target: str
    project: str | None
    run_id: str | None
    details: dict[str, Any]
    request_id: str | None
    address: str | None
    hash: str


class AuditPagePublic(BaseModel):
    entries: list[AuditEntryPublic]
    next_page_token: str | None


class AuditHeadPublic(BaseModel):
    seq: int
    hash: str


class AuditVerificationPublic(BaseModel):
    ok: bool
    checked: int
    head: AuditHeadPublic
    problem: dict[str, Any] | None
