"""Wire models of /api/v1/projects."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ProjectPublic(BaseModel):
    name: str
    created_ms: int
    run_count: int
    last_activity_ms: int | None
    runs_per_day: list[int] = Field(
        description="Runs started per day, last 30 days, oldest first (today last)."
    )
    role: Literal["viewer", "editor", "maintainer", "owner"] | None = Field(
        None,
        description="The caller's role here (its membership or the project's default role, "
        "the higher); null with auth off, or for a server admin who holds none.",
    )


class ProjectKeysPublic(BaseModel):
    params: list[str]
    metrics: list[str]
    tags: list[str]


class ProjectsPublic(BaseModel):
    projects: list[ProjectPublic]
