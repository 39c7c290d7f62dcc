"""The embedded store's audit log."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from labledger.sdk.transport.audit import AuditTransport

if TYPE_CHECKING:
    from labledger.services.tracker import Tracker


class LocalAudit(AuditTransport):
    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    def entries(self, query: dict[str, Any]) -> dict[str, Any]:
        page = self.tracker.audit.list_entries(**query)
        return {
            "entries": [asdict(e) for e in page.entries],
            "next_page_token": page.next_page_token,
        }

    def verify(self) -> dict[str, Any]:
        return self.tracker.audit.verify().to_dict()
