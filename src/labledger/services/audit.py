"""The audit log: who changed what, recorded in the transaction of the change itself, and
read or checked by those allowed to.

``record`` is called by every service that writes, inside its write transaction, so a
change and its entry are committed together or not at all.  Entries form a hash chain
(``core/audit_chain.py``); ``verify`` walks it and names the first entry that was altered,
removed or inserted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from labledger.core.audit_chain import ChainCheck
from labledger.core.errors import InvalidInputError
from labledger.core.identity import Action, Principal
from labledger.core.ids import is_valid_id, now_ms
from labledger.core.paging import decode_page_token, encode_page_token
from labledger.core.validation import check_page_size
from labledger.services.access import Guarded
from labledger.store import audit as repo
from labledger.store import projects as project_repo
from labledger.store.database import Connection

AUDIT_PAGE = "audit"


def record(
    conn: Connection,
    principal: Principal,
    action: str,
    target: str,
    *,
    project: str | None = None,
    run_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an entry for a change made in ``conn``'s transaction by ``principal``."""
    repo.append(
        conn,
        {
            "time_ms": now_ms(),
            "actor": principal.name[:120],
            "actor_id": principal.user_id,
            "action": action,
            "target": target[:600],
            "project": project,
            "run_id": run_id,
            "details": details or {},
            "request_id": principal.request_id,
            "address": principal.address,
        },
    )


def record_run(
    conn: Connection,
    principal: Principal,
    action: str,
    run_id: str,
    project_id: int,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an entry for a change to a run (its project named, for filtering)."""
    project = project_repo.project_name(conn, project_id)
    record(
        conn, principal, action, f"run:{run_id}", project=project, run_id=run_id, details=details
    )


@dataclass(frozen=True, slots=True)
class AuditEntry:
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

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AuditEntry:
        try:
            details = orjson.loads(row["details"])
        except orjson.JSONDecodeError:  # an altered row: shown as it is, verify names it
            details = {"unreadable": row["details"]}
        return cls(
            seq=row["seq"],
            time_ms=row["time_ms"],
            actor=row["actor"],
            action=row["action"],
            target=row["target"],
            project=row["project"],
            run_id=row["run_id"],
            details=details if isinstance(details, dict) else {"value": details},
            request_id=row["request_id"],
            address=row["address"],
            hash=row["hash"],
        )


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    next_page_token: str | None


@dataclass(frozen=True, slots=True)
class AuditVerification:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problem: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "head": {"seq": self.head_seq, "hash": self.head_hash},
            "problem": self.problem,
        }


class AuditService(Guarded):
    def list_entries(
        self,
        *,
        project: str | None = None,
        run_id: str | None = None,
        actor: str | None = None,
        since_ms: int | None = None,
        limit: int = 100,
        page_token: str | None = None,
    ) -> AuditPage:
        """Entries newest first.  A run's entries are for whoever may read the run; a
        project's for its maintainers; the whole log for server admins."""
        if run_id is not None:
            if not is_valid_id(run_id):
                raise InvalidInputError("run_id is not a run id", details={"field": "run_id"})
            self.allow(Action.READ, run_id=run_id)
        elif project is not None:
            self.allow(Action.MAINTAIN, project=project)
        else:
            self.allow(Action.ADMIN)
        check_page_size(limit)
        before = None
        if page_token is not None:
            before = int(
                decode_page_token(AUDIT_PAGE, page_token, lambda v: v.isdigit() and len(v) < 19)
            )
        with self.db.read() as conn:
            rows = repo.page(
                conn,
                project=project,
                run_id=run_id,
                actor=actor,
                since_ms=since_ms,
                before_seq=before,
                limit=limit + 1,
            )
        more = len(rows) > limit
        rows = rows[:limit]
        token = encode_page_token(AUDIT_PAGE, str(rows[-1]["seq"])) if more else None
        return AuditPage([AuditEntry.from_row(r) for r in rows], token)

    def verify(self) -> AuditVerification:
        """Walk the whole chain (server admins)."""
        self.allow(Action.ADMIN)
        with self.db.read() as conn:
            head_seq, head_hash = repo.head(conn)
            check = ChainCheck(head_seq)
            for row in repo.walk(conn):
                if not check.feed(row):
                    break
            check.finish(head_hash)
        return AuditVerification(
            ok=check.problem is None,
            checked=check.checked,
            head_seq=head_seq,
            head_hash=head_hash,
            problem=check.problem,
        )
