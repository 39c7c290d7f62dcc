"""The registry's search: the run search language (``core/query.py``) over model versions.

Fields::

    name = 'churn'                     the model's name (also model, model.name)
    version >= 3, alias = 'champion'   a version's number; an alias it holds
    run_id, description, user, path, digest, project, created_time (ms)
    tags.stage = 'candidate'           the version's tags
    model.tags.team = 'growth'         the model's tags
    run.metrics.acc > 0.9              any field of the version's source run, as in run search
    run.params.lr = 0.001, run.tags.x, run.status = 'finished', run.datasets.digest = '…'

Order by ``name``, ``version`` or ``created_time`` (``asc`` or ``desc``).
"""

from __future__ import annotations

import re

from labledger.core.errors import InvalidQueryError, LimitExceededError
from labledger.core.query import Field, Node, OrderKey, parse_field, parse_filter

VERSION_ATTRIBUTES = {
    "name": "model",
    "model": "model",
    "version": "version",
    "alias": "alias",
    "run_id": "run_id",
    "description": "description",
    "user": "created_by",
    "created_by": "created_by",
    "created_time": "created_ms",
    "creation_timestamp": "created_ms",
    "path": "path",
    "digest": "digest",
    "project": "project",
}
NUMERIC_VERSION_ATTRIBUTES = frozenset({"version", "created_ms"})
ORDERABLE = {"name": "model", "model": "model", "version": "version", "created_time": "created_ms"}
MAX_ORDER_KEYS = 3
MAX_ORDER_ITEM = 100
# What str.split() and str.strip() take for whitespace (str.isspace), written out so that the
# pattern means the same to ECMA-262 (the OpenAPI document) and to Python.
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c}]" if c.isalpha() else c for c in word)


# One order_by item: '<field> [asc|desc]', any case, with spaces around.
ORDER_ITEM_RE = re.compile(
    rf"[{_SPACE}]*({'|'.join(map(_any_case, ORDERABLE))})"
    rf"(?:[{_SPACE}]+({_any_case('asc')}|{_any_case('desc')}))?[{_SPACE}]*"
)


def _unquote(key: str) -> str:
    if len(key) >= 2 and key[0] == key[-1] and key[0] in '`"':
        key = key[1:-1]
    if not key:
        raise InvalidQueryError("empty key in a registry field", details={"field": key})
    return key


def parse_registry_field(text: str) -> Field:
    head, dot, rest = text.partition(".")
    low = head.lower()
    if dot and low == "run":
        inner = parse_field(rest)
        return Field(inner.kind, inner.key, scope="run")
    if dot and low == "model":
        sub, _, key = rest.partition(".")
        if sub.lower() in ("tags", "tag") and key:
            return Field("tags", _unquote(key), scope="model")
        if rest.lower() == "name":
            return Field("attributes", "model", scope="version")
    elif dot and low in ("tags", "tag"):
        return Field("tags", _unquote(rest), scope="version")
    elif not dot and low in VERSION_ATTRIBUTES:
        return Field("attributes", VERSION_ATTRIBUTES[low], scope="version")
    raise InvalidQueryError(
        f"unknown registry field {text!r}: use name, version, alias, run_id, description, "
        "user, path, digest, project, created_time, tags.<key>, model.tags.<key> or "
        "run.<field> (run.metrics.acc, run.params.lr ...)",
        details={"field": text},
    )


def parse_registry_filter(text: str | None) -> Node | None:
    return parse_filter(text, parse_registry_field)


def parse_registry_order(items: list[str] | None) -> list[OrderKey]:
    given = list(items or [])
    if len(given) > MAX_ORDER_KEYS:
        raise LimitExceededError(
            f"order_by has {len(given)} items; at most {MAX_ORDER_KEYS}",
            details={"field": "order_by", "limit": MAX_ORDER_KEYS},
        )
    keys: list[OrderKey] = []
    for raw in given:
        if not isinstance(raw, str) or len(raw) > MAX_ORDER_ITEM:
            raise InvalidQueryError(
                f"order_by items are texts of at most {MAX_ORDER_ITEM} characters",
                details={"field": "order_by", "limit": MAX_ORDER_ITEM},
            )
        found = ORDER_ITEM_RE.fullmatch(raw)
        if found is None:
            parts = raw.split()
            if parts and len(parts) <= 2 and parts[0].lower() not in ORDERABLE:
                message = (
                    f"order_by: cannot order versions by {parts[0]!r}; use name, version or "
                    "created_time"
                )
            else:
                message = f"order_by {raw!r} is not '<field> [asc|desc]'"
            raise InvalidQueryError(message, details={"field": "order_by"})
        column = ORDERABLE[found[1].lower()]
        descending = (found[2] or "").lower() == "desc"
        keys.append(OrderKey(Field("attributes", column, scope="version"), descending))
    return keys
