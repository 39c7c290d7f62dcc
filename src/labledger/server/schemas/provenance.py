"""Wire models of the provenance routes: environment, datasets, seals, verification,
required fields."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from labledger.core import limits
from labledger.server.schemas.common import DEPRECATED, REQUIRED_FIELD, Rule, Strict


class EnvironmentPublic(BaseModel):
    environment: dict[str, Any] | None = Field(
        description="What ll.init() captured (git, python, packages, system, container, ci, "
        "process), secrets redacted; null when nothing was captured."
    )
    digest: str | None = Field(description="SHA-256 of its canonical JSON")


class DatasetPublic(BaseModel):
    name: str
    role: str
    uri: str
    digest: str
    size: int
    files: int
    rows: int | None
    format: str | None
    schema_: list[list[str]] | None = Field(alias="schema", serialization_alias="schema")

    model_config = ConfigDict(populate_by_name=True)


class DatasetsPublic(BaseModel):
    datasets: list[DatasetPublic]


class AnnotationPublic(BaseModel):
    field: str = Field(description='"notes" or "tags.<key>"')
    old_value: str | None
    new_value: str | None
    changed_ms: int


class AnnotationsPublic(BaseModel):
    annotations: list[AnnotationPublic]


class TombstonePublic(BaseModel):
    project: str
    status: str
    deleted_ms: int
    deleted_by: str | None = None  # who deleted it (stores from before issue 13: unknown)
    reason: str | None
    seal_hash: str | None


class VerificationPublic(BaseModel):
    run_id: str
    seal_hash: str | None
    ok: bool
    problems: list[str] = Field(description="each difference found, naming the part or file")
    blobs_checked: int
    status: str | None = Field(None, description="The run's status; null for a deleted run.")
    deleted: TombstonePublic | None = Field(
        None, description="A deleted run's tombstone (its id is never reused)."
    )


_NEXT_PAGE = "pass as page_token for the next page; null on the last page"
_NEXT_AFTER = "Deprecated (one release): next_page_token replaces it.  Pass as after."


class SealsPublic(BaseModel):
    run_ids: list[str]
    next_page_token: str | None = Field(description=_NEXT_PAGE)
    next_after: str | None = Field(
        description=_NEXT_AFTER + "  The page's last run id.", json_schema_extra=DEPRECATED
    )


class BlobCheckPublic(BaseModel):
    checked: int
    problems: list[str]
    next_page_token: str | None = Field(description=_NEXT_PAGE)
    next_after: str | None = Field(
        description=_NEXT_AFTER + "  The page's last digest.", json_schema_extra=DEPRECATED
    )


RequiredField = Annotated[
    str, Rule({"minLength": 1, "maxLength": limits.MAX_KEY, "pattern": REQUIRED_FIELD})
]


class RequirementsIn(Strict):
    required: Annotated[list[RequiredField], Rule({"maxItems": limits.MAX_REQUIRED_FIELDS})] = (
        Field(
            description="params.<key>, tags.<key>, metrics.<key>, datasets, datasets.<name>, "
            "notes, user, group, run_key, or an environment path such as git.commit"
        )
    )


class RunCompletenessPublic(BaseModel):
    required: list[str]
    missing: list[str]


class ProjectCompletenessPublic(BaseModel):
    project: str
    required: list[str]
    runs: int
    complete: int
    percent: float
    incomplete: dict[str, list[str]] = Field(description="run id -> the fields it lacks")
