"""Compile filter trees (core.query) to SQL conditions over ``runs``, bound parameters only.

Each predicate is a correlated EXISTS on a per-run table, which the databases answer with
primary-key probes.  Each EXISTS correlates to ``runs`` alone, so an outer query that also
reads params, tags or latest_metrics (grouping by a param, say) keeps its own FROM.  A
comparison needs the key to be present on the run (``!=`` and ``NOT IN`` do not match runs
that lack the key); ``NOT (...)`` is plain negation.

Numbers are bound with an explicit type, the same on both databases: against a metric or a
numeric param every number is a double (an integer literal beyond 64 bits too, and one
beyond the double range is +-infinity); against ``start_time``, ``end_time`` or
``duration`` an integer within 64 bits stays an exact BIGINT and any other number is a
double.  Without that, PostgreSQL would cast the bind to the column's integer type (and
overflow) and Python's sqlite3 would refuse an int over 64 bits.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Float,
    and_,
    exists,
    false,
    literal,
    not_,
    or_,
)

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
    Value,
)
from labledger.store.metrics import find_key_id
from labledger.store.tables import latest_metrics, params, run_datasets, runs, tags

ATTR_COLUMNS: dict[str, Any] = {
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


def compare_column(column: Any, op: str, value: Any) -> ColumnElement[bool]:
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


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _double(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # an int beyond the double range
        return math.inf if value > 0 else -math.inf


def _number_bind(value: Value, *, integer_column: bool) -> Any:
    """A typed bind for a number compared with a numeric column (see the module docstring)."""
    assert isinstance(value, int | float)
    if integer_column and isinstance(value, int) and _INT64_MIN <= value <= _INT64_MAX:
        return literal(value, BigInteger())
    return literal(_double(value), Float(53))


class FilterCompiler:
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
            column = ATTR_COLUMNS[field.key]
            base = column.is_not(None)
            return base if condition is None else and_(base, condition(column))
        if field.kind == "metrics":
            kid = self.key_id(field.key)
            if kid is None:
                return false()
            table, where = latest_metrics, [latest_metrics.c.key_id == kid]
        elif field.kind == "datasets":
            table, where = run_datasets, []
        elif field.kind == "params":
            table, where = params, [params.c.key == field.key]
        else:
            table, where = tags, [tags.c.key == field.key]
        if condition is not None:
            where.append(condition(table))
        return exists().where(table.c.run_pk == runs.c.pk, *where).correlate(runs)

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
        if field.kind == "datasets":
            return table.c[field.key]
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
            bound = self._bind(field, value)
            return self._exists(field, lambda col: compare_column(col, op, bound))
        if field.kind in ("tags", "datasets") and _is_number(value):
            value = str(value)
        if op in ("like", "ilike", "not like", "not ilike") and field.kind == "metrics":
            raise InvalidQueryError(
                f"LIKE does not apply to {field}", details={"field": str(field)}
            )
        bound = self._bind(field, value)
        return self._exists(
            field, lambda t: compare_column(self._value_column(field, t, value), op, bound)
        )

    @staticmethod
    def _bind(field: Field, value: Value) -> Any:
        """The value as compared: numbers get a typed bind (metrics, numeric params and
        numeric attributes); text stays a plain value."""
        if not _is_number(value):
            return value
        if field.kind == "attributes":
            if field.key not in NUMERIC_ATTRIBUTES:
                return value
            return _number_bind(value, integer_column=True)
        return _number_bind(value, integer_column=False)

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
            bound = [self._bind(field, v) for v in values]
            return col.not_in(bound) if node.negated else col.in_(bound)

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
