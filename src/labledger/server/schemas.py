"""Pydantic schemas of the REST API (HTTP layer only; services never see these).

Two kinds of rule, split as docs/limits.md splits their errors:

- the *shape* of a body (types, required and unknown fields, integers that are not floats,
  booleans that are not numbers, ``null``) is checked by pydantic here: 422 ``invalid_body``;
- the *values* (lengths, patterns, ranges and counts, with the numbers of
  ``labledger.core.limits``) are checked by the core validators the services share with the
  SDK's local mode: 400 ``invalid_input`` / ``limit_exceeded`` naming the field and the limit.
  They are declared here with :class:`Rule`, so the OpenAPI document states every one of
  them, and pydantic does not check them a second time under another error code.

Patterns are written for JSON Schema's regular expressions (ECMA-262) and mean the same to
Python's ``re``: explicit character classes, no ``\\s``/``\\w``, anchored with ``^``/``$``.
``tests/integration/api/test_openapi_conformance.py`` holds them against the validators.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from labledger.core import artifact_validation, ids, limits, provenance, validation
from labledger.core.query_limits import MAX_ORDER_KEYS
from labledger.services import completeness

WireFloat = float | Literal["NaN", "Infinity", "-Infinity"]


@dataclass(frozen=True, slots=True, eq=False)  # hashed by identity: typing hashes metadata
class Rule:
    """JSON Schema keywords a value meets, enforced by the core validators (400), not by
    pydantic (whose 422 would replace the documented error codes)."""

    keywords: Mapping[str, Any]

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema.update(self.keywords)
        return schema


# -- patterns ----------------------------------------------------------------------------------
def anchored(regex: re.Pattern[str]) -> str:
    """A validator's ``fullmatch`` regex as a JSON Schema pattern: published as the server
    checks it (these are private to their modules; the conformance tests keep them in the
    syntax ECMA-262 and Python share, ``\\w`` only under re.ASCII)."""
    return f"^(?:{regex.pattern})$"


HEX32 = anchored(ids._HEX32)  # run and upload ids
DIGEST = anchored(artifact_validation._DIGEST_RE)  # SHA-256, lowercase
DIGEST_ANY_CASE = r"^[0-9a-fA-F]{64}$"  # X-Content-SHA256 (lowercased before the check)
PROJECT = anchored(validation._PROJECT_RE)
MEDIA_TYPE = anchored(artifact_validation._MEDIA_TYPE_RE)
ROLE = anchored(provenance._ROLE_RE)
TEXT = r"^[^\x00]+$"  # core.validation.check_str: not empty, no NUL
TEXT_OR_EMPTY = r"^[^\x00]*$"  # check_str(allow_empty=True)
_CONTROL = r"\x00-\x1f\x7f-\x9f"
# What str.strip() removes that is not a control character (str.isspace, Unicode 14).
_SPACE = r" \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# core.validation.check_key: no control characters, no leading or trailing whitespace.
KEY = rf"^[^{_CONTROL}{_SPACE}](?:[^{_CONTROL}]*[^{_CONTROL}{_SPACE}])?$"
# core.artifact_validation.check_artifact_path: relative, '/'-separated, no '.', '..' or
# empty segments, no '\\' or control characters.
_SEGMENT = rf"(?!\.\.?(?:/|$))[^/\\\x00-\x1f\x7f]{{1,{limits.MAX_ARTIFACT_SEGMENT}}}"
ARTIFACT_PATH = rf"^{_SEGMENT}(?:/{_SEGMENT})*$"
ARTIFACT_FOLDER = rf"^(?:{_SEGMENT}(?:/{_SEGMENT})*)?/*$"  # '' is the root; trailing '/' ok
# services.completeness.check_field, on top of the key rules
REQUIRED_FIELD = (
    rf"^(?:(?:params|tags|metrics|datasets)\.[^{_CONTROL}]*[^{_CONTROL}{_SPACE}]"
    rf"|{completeness._ENV_PATH.pattern})$"
)
NON_FINITE = ("NaN", "nan", "Infinity", "inf", "-Infinity", "-inf")  # check_value's spellings

# -- value types -------------------------------------------------------------------------------
StrictInt = Annotated[int, Field(strict=True)]
StrictBool = Annotated[bool, Field(strict=True)]


def text(limit: int, *, empty: bool = False) -> Rule:
    """A string of at most ``limit`` characters without NUL (and not empty unless ``empty``)."""
    rule: dict[str, Any] = {"maxLength": limit, "pattern": TEXT_OR_EMPTY if empty else TEXT}
    if not empty:
        rule["minLength"] = 1
    return Rule(rule)


KEY_RULE: dict[str, Any] = {"minLength": 1, "maxLength": limits.MAX_KEY, "pattern": KEY}
ProjectName = Annotated[
    str, Rule({"minLength": 1, "maxLength": limits.MAX_PROJECT_NAME, "pattern": PROJECT})
]
RunId = Annotated[str, Rule({"pattern": HEX32})]
Digest = Annotated[str, Rule({"pattern": DIGEST})]
Key = Annotated[str, Rule(KEY_RULE)]
# 64-bit integers (limits.MIN_STEP..MAX_STEP), as OpenAPI says it: format int64.  Bounds of
# +-2**63 written as numbers are not exact as doubles, and tools read JSON numbers as doubles
# (Schemathesis took 2**63 + 191 for inside them).
assert (limits.MIN_STEP, limits.MAX_STEP) == (-(2**63), 2**63 - 1)
INT64: dict[str, Any] = {"format": "int64"}
UINT63: dict[str, Any] = {"format": "int64", "minimum": 0}
Step = Annotated[int, Rule(INT64)]
TimestampMs = Annotated[int, Rule(UINT63)]
StrictStep = Annotated[StrictInt, Rule(INT64)]
StrictTimestampMs = Annotated[StrictInt, Rule(UINT63)]
ParamValue = Annotated[str, text(limits.MAX_PARAM_VALUE, empty=True)]
TagValue = Annotated[str, text(limits.MAX_TAG_VALUE, empty=True)]
Params = Annotated[
    dict[str, ParamValue],
    Rule({"propertyNames": KEY_RULE, "maxProperties": limits.MAX_PARAMS_PER_BATCH}),
]
Tags = Annotated[
    dict[str, TagValue],
    Rule({"propertyNames": KEY_RULE, "maxProperties": limits.MAX_TAGS_PER_BATCH}),
]
ArtifactSize = Annotated[StrictInt, Rule({"minimum": 0, "maximum": limits.MAX_ARTIFACT_SIZE})]
Filter = Annotated[
    str,
    Rule({"maxLength": limits.MAX_QUERY_LENGTH}),
    Field(description="Search language, see docs/search.md.", examples=["metrics.acc > 0.9"]),
]
PageSize = Annotated[StrictInt, Rule({"minimum": 1, "maximum": limits.MAX_PAGE_SIZE})]


class _Strict(BaseModel):
    """A request body: no unknown fields, no coercion (5.0 is not an integer, 1 not true)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class EmptyBody(_Strict):
    """The body of an action that takes no input: ``{}``.  Required, as JSON, so that a web
    page of another origin cannot trigger the action without a CORS preflight."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}]})


# -- runs --------------------------------------------------------------------------------------
class RunCreate(_Strict):
    project: ProjectName = Field(
        description="Project name; created on first use.", examples=["mnist"]
    )
    id: RunId | None = Field(None, description="Client-chosen run id (32 hex); retries are safe.")
    name: Annotated[str, text(limits.MAX_RUN_NAME)] | None = None
    run_key: Annotated[str, text(limits.MAX_RUN_KEY)] | None = Field(
        None, description="Idempotency key: the same key in the same project returns that run."
    )
    user: Annotated[str, text(limits.MAX_USER)] | None = None
    parent_id: RunId | None = Field(None, description="An existing run (404 otherwise).")
    group: Annotated[str, text(limits.MAX_GROUP)] | None = None
    notes: Annotated[str, text(limits.MAX_NOTES, empty=True)] | None = None
    start_ms: StrictTimestampMs | None = None
    params: Params = Field(default_factory=dict)
    tags: Tags = Field(default_factory=dict)


class RunUpdate(_Strict):
    status: Literal["finished", "failed", "killed"] | None = None
    end_ms: StrictTimestampMs | None = None
    name: Annotated[str, text(limits.MAX_RUN_NAME)] | None = None
    notes: Annotated[str, text(limits.MAX_NOTES, empty=True)] | None = None
    release: StrictBool = Field(
        False,
        description="This status ends one writer's session (the SDK's finish()): while other "
        "processes still write to the run (they resumed it by id or run key), the run goes on "
        "and the last writer's status is the one that counts.",
    )


class RunPublic(BaseModel):
    id: str
    project: str
    name: str
    status: Literal["running", "finished", "failed", "killed"]
    start_ms: int
    end_ms: int | None
    duration_ms: int | None
    user: str | None
    parent_id: str | None
    group: str | None
    notes: str | None
    run_key: str | None
    heartbeat_ms: int | None = Field(
        None, description="Last sign of life from a writer (a batch or a heartbeat)."
    )
    seal_hash: str | None = Field(
        None, description="SHA-256 of the run's canonical record, set when it was sealed."
    )
    sealed_ms: int | None = None
    params: dict[str, str]
    tags: dict[str, str]
    metrics: dict[str, WireFloat]


class RunCreated(RunPublic):
    created: bool = Field(description="False when an existing run was returned (resume).")


class RunsPublic(BaseModel):
    runs: list[RunPublic]
    next_page_token: str | None
    total: int | None = Field(None, description="Runs matching the filter, if asked for.")


class RunSearch(_Strict):
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


class RunGroupQuery(_Strict):
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


# -- batches (parsed by hand: core.validation.parse_batch; this is what it accepts) -------------
MetricValue = float | Literal["NaN", "nan", "Infinity", "inf", "-Infinity", "-inf"]
PointColumn = Rule({"maxItems": limits.MAX_POINTS_PER_BATCH})


class MetricColumns(_Strict):
    """One metric's points as three columns of the same length."""

    steps: Annotated[list[Step], PointColumn]
    timestamps: Annotated[list[TimestampMs], PointColumn] = Field(
        description="Milliseconds since the epoch."
    )
    values: Annotated[list[MetricValue], PointColumn] = Field(
        description="Numbers; NaN and the infinities as strings."
    )


ColumnText = Annotated[str, text(limits.MAX_KEY, empty=True)]


class DatasetIn(_Strict):
    """A dataset the run used (``ll.log_dataset``); core.provenance.check_dataset."""

    model_config = ConfigDict(populate_by_name=True)

    name: Key
    role: Annotated[str, Rule({"maxLength": limits.MAX_DATASET_ROLE, "pattern": ROLE})] = Field(
        "input", examples=["training"]
    )
    uri: Annotated[str, text(limits.MAX_DATASET_URI)]
    digest: Digest
    size: Annotated[int, Rule(UINT63)]
    files: Annotated[int, Rule(UINT63)] = 1
    rows: Annotated[int, Rule(UINT63)] | None = None
    format: Annotated[str, text(limits.MAX_DATASET_FORMAT)] | None = None
    schema_: (
        Annotated[
            list[tuple[ColumnText, ColumnText]], Rule({"maxItems": limits.MAX_DATASET_COLUMNS})
        ]
        | None
    ) = Field(None, alias="schema", description="Columns as [name, type] pairs.")


class RunBatch(_Strict):
    """Metrics, params and tags (and the environment and datasets) stored atomically."""

    batch_id: Annotated[str, text(limits.MAX_BATCH_ID)] | None = Field(
        None, description="Idempotency key: a repeat is a no-op."
    )
    metrics: Annotated[dict[str, MetricColumns], Rule({"propertyNames": KEY_RULE})] | None = Field(
        None, description=f"By key; at most {limits.MAX_POINTS_PER_BATCH} points in all."
    )
    params: Params | None = None
    tags: Tags | None = None
    environment: dict[str, Any] | None = Field(
        None,
        description="What ll.init() captured, at most once per run (a different second one is "
        f"409 environment_conflict); at most {limits.MAX_ENVIRONMENT_BYTES} bytes as canonical "
        "JSON.",
    )
    datasets: (
        Annotated[list[DatasetIn], Rule({"maxItems": limits.MAX_DATASETS_PER_BATCH})] | None
    ) = None


class BatchResultPublic(BaseModel):
    points: int
    duplicate: bool


class MetricHistoryPublic(BaseModel):
    key: str
    steps: list[int]
    timestamps: list[int]
    values: list[WireFloat]
    total_points: int
    downsampled: bool


class MetricKeysPublic(BaseModel):
    keys: list[str]


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


class ErrorPublic(BaseModel):
    error_code: str = Field(description="Stable code, see docs/limits.md.")
    message: str
    details: dict[str, object] = Field(description="field, limit, position, … by error code")


class FilterCheck(_Strict):
    """Any filter and order: what a search would refuse is reported, not refused."""

    filter: str | None = Field(None, examples=["metrics.acc > 0.9"])
    order_by: list[str] = Field(default_factory=list)


class FilterCheckPublic(BaseModel):
    valid: bool
    error: ErrorPublic | None = Field(None, description="Why not, with position for syntax.")


class RunCount(_Strict):
    project: ProjectName
    filter: Filter | None = None


class RunCountPublic(BaseModel):
    total: int


# -- artifacts ---------------------------------------------------------------------------------
class ArtifactIn(_Strict):
    path: Annotated[
        str, Rule({"minLength": 1, "maxLength": limits.MAX_ARTIFACT_PATH, "pattern": ARTIFACT_PATH})
    ] = Field(description="Relative '/'-separated path inside the run's artifacts.")
    digest: Digest = Field(description="SHA-256 of the content, 64 lowercase hex characters.")
    size: ArtifactSize
    media_type: (
        Annotated[str, Rule({"maxLength": limits.MAX_MEDIA_TYPE, "pattern": MEDIA_TYPE})] | None
    ) = Field(None, description="Guessed from the path's extension when not given.")
    mtime_ms: StrictTimestampMs | None = None
    step: StrictStep | None = Field(None, description="Training step (checkpoints).")


class ArtifactsDeclare(_Strict):
    artifacts: Annotated[list[ArtifactIn], Rule({"maxItems": limits.MAX_ARTIFACTS_PER_REQUEST})] = (
        Field(description="A later entry for the same path replaces an earlier one.")
    )


class ArtifactPublic(BaseModel):
    path: str
    digest: str
    size: int
    media_type: str
    mtime_ms: int | None
    step: int | None
    state: Literal["pending", "stored"]
    created_ms: int


class ArtifactsPublic(BaseModel):
    artifacts: list[ArtifactPublic]


class ArtifactsDeclared(BaseModel):
    artifacts: list[ArtifactPublic]
    missing: list[str] = Field(description="Digests the store lacks: upload these.")


class LatestCheckpointPublic(BaseModel):
    checkpoint: ArtifactPublic | None


class UploadStart(_Strict):
    digest: Digest
    size: ArtifactSize


class UploadPublic(BaseModel):
    upload_id: str | None = Field(description="None when the content is already stored.")
    digest: str
    size: int
    part_size: int
    part_count: int
    parts: list[int] = Field(description="Part numbers already received (from 1).")
    stored: bool


class BlobStoredPublic(BaseModel):
    digest: str
    size: int


class BlobsStoredPublic(BaseModel):
    blobs: int
    bytes: int


class GcPublic(BaseModel):
    blobs_deleted: int
    bytes_freed: int
    uploads_aborted: int


class ReadinessPublic(BaseModel):
    status: Literal["ok", "schema_outdated", "blob_store_unavailable", "unavailable"]
    schema_: str | None = Field(None, alias="schema", description="The database's schema revision.")
    head: str | None = Field(None, description="The revision this LabLedger needs.")
    artifact_store: str | None = Field(None, description='"ok", or why it cannot be used.')
    database: str | None = Field(None, description="Why the database cannot be reached.")
