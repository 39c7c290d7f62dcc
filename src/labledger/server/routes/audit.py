"""/api/v1/audit: the audit log (server admins; a project's for its maintainers; a run's
for whoever may read the run) and its hash chain check."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from labledger.core.paging import TOKEN_PATTERN
from labledger.server.deps import TrackerDep
from labledger.server.routes.common import INPUT_400, errors
from labledger.server.schemas import audit as schemas
from labledger.server.schemas.common import HEX32, PROJECT, EmptyBody
from labledger.services.audit import AuditEntry

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
_403 = (403, "Not allowed to read these entries (permission_denied).")


def _entry(e: AuditEntry) -> schemas.AuditEntryPublic:
    return schemas.AuditEntryPublic(**asdict(e))


@router.get("", response_model=schemas.AuditPagePublic, responses=errors(INPUT_400, _403))
def list_entries(
    tracker: TrackerDep,
    project: Annotated[str | None, Query(max_length=250, pattern=PROJECT)] = None,
    run_id: Annotated[str | None, Query(pattern=HEX32)] = None,
    actor: Annotated[str | None, Query(max_length=120)] = None,
    since_ms: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    page_token: Annotated[str | None, Query(pattern=TOKEN_PATTERN)] = None,
) -> schemas.AuditPagePublic:
    """Entries newest first, filtered by project, run, actor and time."""
    page = tracker.audit.list_entries(
        project=project,
        run_id=run_id,
        actor=actor,
        since_ms=since_ms,
        limit=limit,
        page_token=page_token,
    )
    return schemas.AuditPagePublic(
        entries=[_entry(e) for e in page.entries], next_page_token=page.next_page_token
    )


@router.post("/verify", response_model=schemas.AuditVerificationPublic, responses=errors(_403))
def verify(tracker: TrackerDep, _body: EmptyBody) -> schemas.AuditVerificationPublic:
    """Walk the whole hash chain; ``problem`` names the first entry altered, removed or
    inserted (server admins)."""
    return schemas.AuditVerificationPublic.model_validate(tracker.audit.verify().to_dict())
