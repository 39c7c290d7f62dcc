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

from labledger.core.errors import InvalidQueryError
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
    keys: list[OrderKey] = []
    for raw in items or []:
        if not isinstance(raw, str) or len(raw) > 100:
            raise InvalidQueryError("order_by items are texts", details={"field": "order_by"})
        parts = raw.strip().split()
        if (
            not parts
            or len(parts) > 2
            or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc"))
        ):
            raise InvalidQueryError(
                f"order_by {raw!r} is not '<field> [asc|desc]'", details={"field": "order_by"}
            )
        column = ORDERABLE.get(parts[0].lower())
        if column is None:
            raise InvalidQueryError(
                f"cannot order versions by {parts[0]!r}; use name, version or created_time",
                details={"field": "order_by"},
            )
        descending = len(parts) == 2 and parts[1].lower() == "desc"
        keys.append(OrderKey(Field("attributes", column, scope="version"), descending))
    return keys[:3]
