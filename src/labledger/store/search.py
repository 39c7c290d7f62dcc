"""Compile the search language (core.query AST) to SQL with bound parameters only.

Plan shape, chosen for "filter on params/metrics, order by a latest metric, page":
- each predicate is a correlated EXISTS on the per-run tables (primary-key probes);
- ordering by a metric/param/tag drives the scan from that key's rows through the
  (project_id, key_id, value) index; runs that lack the key follow in a second phase, so
  neither phase needs a sort of the whole project.
Paging tokens are opaque: base64 JSON of phase and offset plus a fingerprint of the query.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    exists,
    false,
    not_,
    or_,
    select,
)
from sqlalchemy.sql import Select

from labledger.core.entities import Run
from labledger.core.errors import InvalidQueryError
from labledger.core.query import (
    NUMERIC_ATTRIBUTES,
    And,
    Compare,
    Field,
    InList,
    IsNull,
    Node,
    Not,
    Or,
    OrderKey,
    Value,
)
from labledger.store.metrics import find_key_id
from labledger.store.runs import _base_query, load_runs_by_pk
from labledger.store.tables import latest_metrics, params, runs, tags

_ATTR_COLUMNS: dict[str, Any] = {
    "id": runs.c.id,
    "name": runs.c.name,
    "status": runs.c.status,
    "user": runs.c.user_name,
    "start_time": runs.c.start_ms,
    "end_time": runs.c.end_ms,
    "duration": runs.c.end_ms - runs.c.start_ms,
    "group": runs.c.group_name,
    "parent_id": runs.c.parent_id,
    "run_key": runs.c.run_key,
}


def _op(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    match op:
        case "=":
            return column == value  # type: ignore[no-any-return]
        case "!=":
            return column != value  # type: ignore[no-any-return]
        case "<":
            return column < value  # type: ignore[no-any-return]
        case "<=":
            return column <= value  # type: ignore[no-any-return]
        case ">":
            return column > value  # type: ignore[no-any-return]
        case ">=":
            return column >= value  # type: ignore[no-any-return]
        case "like":
            return column.like(value)  # type: ignore[no-any-return]
        case "ilike":
            return column.ilike(value)  # type: ignore[no-any-return]
        case "not like":
            return column.not_like(value)  # type: ignore[no-any-return]
        case "not ilike":
            return column.not_ilike(value)  # type: ignore[no-any-return]
    raise InvalidQueryError(f"unsupported operator {op!r}")


def _is_number(value: Value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Compiler:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._kids: dict[str, int | None] = {}

    def key_id(self, name: str) -> int | None:
        if name not in self._kids:
            self._kids[name] = find_key_id(self.conn, name)
        return self._kids[name]

    def compile(self, node: Node) -> ColumnElement[bool]:
        if isinstance(node, And):
            return and_(*(self.compile(n) for n in node.items))
        if isinstance(node, Or):
            return or_(*(self.compile(n) for n in node.items))
        if isinstance(node, Not):
            return not_(self.compile(node.item))
        if isinstance(node, IsNull):
            present = self._exists(node.field, None)
            return present if node.negated else not_(present)
        if isinstance(node, InList):
            return self._in_list(node)
        return self._compare(node)

    def _exists(self, field: Field, condition: Any) -> ColumnElement[bool]:
        if field.kind == "attributes":
            column = _ATTR_COLUMNS[field.key]
            base = column.is_not(None)
            return base if condition is None else and_(base, condition(column))
        if field.kind == "metrics":
            kid = self.key_id(field.key)
            if kid is None:
                return false()
            table, where = latest_metrics, [latest_metrics.c.key_id == kid]
        elif field.kind == "params":
            table, where = params, [params.c.key == field.key]
        else:
            table, where = tags, [tags.c.key == field.key]
        if condition is not None:
            where.append(condition(table))
        return exists().where(table.c.run_pk == runs.c.pk, *where)

    def _value_column(self, field: Field, table: Any, value: Value) -> Any:
        if field.kind == "metrics":
            if not _is_number(value):
                raise InvalidQueryError(
                    f"{field} is compared with a number, got {value!r}",
                    details={"field": str(field)},
                )
            return table.c.value
        if field.kind == "params" and _is_number(value):
            return table.c.value_num
        return table.c.value

    def _compare(self, node: Compare) -> ColumnElement[bool]:
        field, op, value = node.field, node.op, node.value
        if value is None:
            raise InvalidQueryError(
                f"use IS NULL / IS NOT NULL to test {field} for absence",
                details={"field": str(field)},
            )
        if field.kind == "attributes":
            value = self._attr_value(field, value, op)
            return self._exists(field, lambda col: _op(col, op, value))
        if field.kind == "tags" and _is_number(value):
            value = str(value)
        if op in ("like", "ilike", "not like", "not ilike") and field.kind == "metrics":
            raise InvalidQueryError(
                f"LIKE does not apply to {field}", details={"field": str(field)}
            )
        return self._exists(field, lambda t: _op(self._value_column(field, t, value), op, value))

    def _attr_value(self, field: Field, value: Value, op: str) -> Value:
        numeric = field.key in NUMERIC_ATTRIBUTES
        if numeric and not _is_number(value):
            raise InvalidQueryError(
                f"{field} is compared with a number of milliseconds", details={"field": str(field)}
            )
        if not numeric and _is_number(value) and "like" not in op:
            return str(value)
        if field.key == "status" and isinstance(value, str):
            return value.lower()
        return value

    def _in_list(self, node: InList) -> ColumnElement[bool]:
        """``x IN (...)``; ``x NOT IN (...)`` matches runs that have x with another value
        (like ``!=``); ``NOT x IN (...)`` also matches runs without x."""
        field = node.field
        values = list(node.values)
        if not values:
            return self._exists(field, None) if node.negated else false()

        def member(col: Any) -> Any:
            return col.not_in(values) if node.negated else col.in_(values)

        if field.kind == "attributes":
            values = [self._attr_value(field, v, "=") for v in values]
            return self._exists(field, member)
        numeric = all(_is_number(v) for v in values)
        if field.kind == "metrics" and not numeric:
            raise InvalidQueryError(f"{field} IN needs numbers", details={"field": str(field)})
        if not numeric:
            values = [v if isinstance(v, str) else str(v) for v in values]
        probe = values[0]
        return self._exists(field, lambda t: member(self._value_column(field, t, probe)))


def _order_columns(c: _Compiler, key: OrderKey, idx: int) -> tuple[list[Any], Any, Any]:
    """(sort expressions, aliased table or None, join condition or None)."""

    def direction(col: Any) -> Any:
        return (col.desc() if key.descending else col.asc()).nulls_last()

    f = key.field
    if f.kind == "attributes":
        return [direction(_ATTR_COLUMNS[f.key])], None, None
    if f.kind == "metrics":
        alias = latest_metrics.alias(f"o{idx}")
        kid = c.key_id(f.key)
        on = and_(alias.c.run_pk == runs.c.pk, alias.c.key_id == (kid if kid is not None else -1))
        return [direction(alias.c.value)], alias, on
    table = params if f.kind == "params" else tags
    alias = table.alias(f"o{idx}")
    on = and_(alias.c.run_pk == runs.c.pk, alias.c.key == f.key)
    cols = [direction(alias.c.value_num)] if f.kind == "params" else []
    return [*cols, direction(alias.c.value)], alias, on


def _fingerprint(project_id: int, filter_text: str | None, order: list[OrderKey]) -> str:
    raw = json.dumps([project_id, filter_text or "", [(str(o.field), o.descending) for o in order]])
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _decode_token(token: str | None, fingerprint: str) -> tuple[int, int]:
    if not token:
        return 1, 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        phase, offset, fp = int(data["p"]), int(data["o"]), str(data["f"])
    except (ValueError, KeyError, TypeError):
        raise InvalidQueryError(
            "page_token is not a token returned by this search", details={"field": "page_token"}
        ) from None
    if fp != fingerprint or phase not in (1, 2) or offset < 0:
        raise InvalidQueryError(
            "page_token belongs to a different search", details={"field": "page_token"}
        )
    return phase, offset


def _encode_token(phase: int, offset: int, fingerprint: str) -> str:
    raw = json.dumps({"p": phase, "o": offset, "f": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def search_runs(
    conn: Connection,
    project_id: int,
    node: Node | None,
    filter_text: str | None,
    order: list[OrderKey],
    limit: int,
    page_token: str | None,
) -> tuple[list[Run], str | None]:
    c = _Compiler(conn)
    where = [runs.c.project_id == project_id]
    if node is not None:
        where.append(c.compile(node))
    fp = _fingerprint(project_id, filter_text, order)
    phase, offset = _decode_token(page_token, fp)
    sorts: list[Any] = []
    first_join: tuple[Any, Any] | None = None
    first_width = 0
    outer: list[tuple[Any, Any]] = []
    for i, key in enumerate(order):
        cols, alias, on = _order_columns(c, key, i)
        sorts.extend(cols)
        if alias is not None and i == 0:
            first_join, first_width = (alias, on), len(cols)
        elif alias is not None:
            outer.append((alias, on))
    default_sort = [runs.c.start_ms.desc(), runs.c.pk.desc()]

    def build(join_first: bool | None) -> Select[Any]:
        source: Any = runs
        conds = list(where)
        sort = sorts
        if first_join is not None:
            alias, on = first_join
            if join_first:
                source = source.join(alias, on)
                if "project_id" in alias.c:
                    conds.append(alias.c.project_id == project_id)
            else:
                conds.append(not_(exists().where(on)))
                sort = sorts[first_width:]
        for alias, on in outer:
            source = source.outerjoin(alias, on)
        return select(runs.c.pk).select_from(source).where(*conds).order_by(*sort, *default_sort)

    pks: list[int] = []
    next_token: str | None = None
    if first_join is None:
        rows = conn.execute(build(None).limit(limit + 1).offset(offset)).scalars().all()
        pks = list(rows[:limit])
        if len(rows) > limit:
            next_token = _encode_token(1, offset + limit, fp)
    else:
        if phase == 1:
            rows = conn.execute(build(True).limit(limit + 1).offset(offset)).scalars().all()
            pks = list(rows[:limit])
            if len(rows) > limit:
                next_token = _encode_token(1, offset + limit, fp)
            else:
                phase, offset = 2, 0
        if phase == 2 and next_token is None:
            want = limit - len(pks)
            rows = conn.execute(build(False).limit(want + 1).offset(offset)).scalars().all()
            pks.extend(rows[:want])
            if len(rows) > want:
                next_token = _encode_token(2, offset + want, fp)
    if not pks:
        return [], next_token
    loaded = load_runs_by_pk(conn, _base_query().where(runs.c.pk.in_(pks)))
    return [loaded[pk] for pk in pks], next_token
