"""Wire models of /api/v1/projects."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ProjectPublic(BaseModel):
    name: str
    created_ms: int
    run_count: int
    last_activity_ms: int | None
    runs_per_day: list[int] = Field(
        description="Runs started per day, last 30 days, oldest first (today last)."
    )


class ProjectKeysPublic(BaseModel):
    params: list[str]
    metrics: list[str]
    tags: list[str]


class ProjectsPublic(BaseModel):
    projects: list[ProjectPublic]
