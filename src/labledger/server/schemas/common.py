"""Value types and rules every resource's wire models share.

Two kinds of rule, split as docs/limits.md splits their errors:

- the *shape* of a body (types, required and unknown fields, integers that are not floats,
  booleans that are not numbers, ``null``) is checked by pydantic: 422 ``invalid_body``;
- the *values* (lengths, patterns, ranges and counts, with the numbers of
  ``labledger.core.limits``) are checked by the core validators the services share with the
  SDK's local mode: 400 ``invalid_input`` / ``limit_exceeded`` naming the field and the limit.
  They are declared with :class:`Rule`, so the OpenAPI document states every one of them,
  and pydantic does not check them a second time under another error code.

Patterns are written for JSON Schema's regular expressions (ECMA-262) and mean the same to
Python's ``re``: explicit character classes, no ``\\s``/``\\w``, anchored with ``^``/``$``.
``tests/integration/api/test_openapi_conformance.py`` holds them against the validators, so
they live here together, whichever resource uses them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from labledger.core import artifact_validation, ids, limits, paging, provenance, validation
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

DEPRECATED: dict[str, Any] = {"deprecated": True}  # a field kept for one release
PAGE_TOKEN = paging.TOKEN_PATTERN

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


class Strict(BaseModel):
    """A request body: no unknown fields, no coercion (5.0 is not an integer, 1 not true)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class EmptyBody(Strict):
    """The body of an action that takes no input: ``{}``.  Required, as JSON, so that a web
    page of another origin cannot trigger the action without a CORS preflight."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}]})


class ErrorPublic(BaseModel):
    error_code: str = Field(description="Stable code, see docs/limits.md.")
    message: str
    details: dict[str, object] = Field(description="field, limit, position, … by error code")
