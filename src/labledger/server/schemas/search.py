"""Wire models of the run searches: search, count, groups and filter checks."""

from __future__ import annotations

from pydantic import BaseModel, Field

from labledger.core.query_limits import MAX_ORDER_KEYS
from labledger.server.schemas.common import (
    ErrorPublic,
    Filter,
    PageSize,
    ProjectName,
    Strict,
    StrictBool,
)
from labledger.server.schemas.runs import RunPublic


class RunsPublic(BaseModel):
    runs: list[RunPublic]
    next_page_token: str | None
    total: int | None = Field(None, description="Runs matching the filter, if asked for.")


class RunSearch(Strict):
    project: ProjectName
    filter: Filter | None = None
    order_by: list[str] = Field(
        default_factory=list,
        description=f"Fields to order by, each optionally followed by asc or desc; at most "
        f"{MAX_ORDER_KEYS} that are not blank (a field given again is dropped).",
        examples=[["metrics.acc desc"]],
    )
    limit: PageSize = 100
    page_token: str | None = Field(None, description="next_page_token of the previous page.")
    include_total: StrictBool = Field(False, description="Also count every matching run.")


class RunGroupQuery(Strict):
    project: ProjectName
    group_by: str = Field(
        description="A param, tag or attribute (status, user, group).",
        examples=["params.optimizer.name"],
    )
    filter: Filter | None = None
    limit: PageSize = 200


class RunGroupPublic(BaseModel):
    value: str | None = Field(description="None for runs without the grouping key.")
    count: int


class RunGroupsPublic(BaseModel):
    groups: list[RunGroupPublic]


class FilterCheck(Strict):
    """Any filter and order: what a search would refuse is reported, not refused."""

    filter: str | None = Field(None, examples=["metrics.acc > 0.9"])
    order_by: list[str] = Field(default_factory=list)


class FilterCheckPublic(BaseModel):
    valid: bool
    error: ErrorPublic | None = Field(None, description="Why not, with position for syntax.")


class RunCount(Strict):
    project: ProjectName
    filter: Filter | None = None


class RunCountPublic(BaseModel):
    total: int
