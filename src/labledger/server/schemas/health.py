"""Wire models of liveness and readiness."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class HealthPublic(BaseModel):
    status: str
    version: str = Field(description="LabLedger version of this server process")
    time_ms: int = Field(description="the server's clock, ms since the epoch (for skew checks)")


class ReadinessPublic(BaseModel):
    status: Literal["ok", "schema_outdated", "blob_store_unavailable", "unavailable"]
    schema_: str | None = Field(None, alias="schema", description="The database's schema revision.")
    head: str | None = Field(None, description="The revision this LabLedger needs.")
    artifact_store: str | None = Field(None, description='"ok", or why it cannot be used.')
    database: str | None = Field(None, description="Why the database cannot be reached.")
