"""The audit log: entries and the hash chain check."""

from __future__ import annotations

from typing import Any, Protocol


class AuditTransport(Protocol):
    def entries(self, query: dict[str, Any]) -> dict[str, Any]:
        """A page: ``{"entries": [...], "next_page_token": ...}``."""
        ...

    def verify(self) -> dict[str, Any]: ...
