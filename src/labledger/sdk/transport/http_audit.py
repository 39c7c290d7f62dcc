"""The audit log over HTTP (server admins; a project's maintainers; a run's readers)."""

from __future__ import annotations

from typing import Any

from labledger.sdk.transport.audit import AuditTransport
from labledger.sdk.transport.http import HttpConnection


class HttpAudit(AuditTransport):
    def __init__(self, connection: HttpConnection) -> None:
        self.http = connection

    def entries(self, query: dict[str, Any]) -> dict[str, Any]:
        params = {k: v for k, v in query.items() if v is not None}
        data: dict[str, Any] = self.http.request("GET", "/api/v1/audit", params=params)
        return data

    def verify(self) -> dict[str, Any]:
        data: dict[str, Any] = self.http.request("POST", "/api/v1/audit/verify", json={})
        return data
