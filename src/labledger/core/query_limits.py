"""Limits on the size and shape of a search, checked on the parsed filter before any SQL is
built (see docs/search.md, "Limits").

Why they exist: every predicate becomes a correlated EXISTS, every order key one joined
table and one or two ORDER BY terms, and the databases have hard ceilings well within reach
of a request.  SQLite's parser stack overflows at about 33 nested AND/OR levels; SQLite
3.40-3.46.0 (the library Python links on Debian 12) crashes the process on a query with 64 or
more ORDER BY terms over a LEFT JOIN it thinks it may drop, and refuses more than 64 joined
tables.  The limits below sit well under each ceiling, so a refusal is a 400 naming the limit
and never a database error or a crash.

Each refusal is an ``InvalidQueryError`` (400 ``invalid_query``, which validate-filter also
reports) whose message names the limit and whose ``details`` hold ``field`` (``filter`` or
``order_by``) and ``limit``, with ``position`` when a place in the filter is to blame.
"""

from __future__ import annotations

import re
from typing import Any

from labledger.core.errors import InvalidQueryError
from labledger.core.limits import MAX_QUERY_LENGTH

MAX_ORDER_KEYS = 8  # order_by items (repeated fields are dropped, keeping the first)
MAX_FILTER_DEPTH = 16  # AND / OR / NOT operators nested inside each other
MAX_FILTER_PREDICATES = 64  # comparisons, IN lists and IS NULL tests in one filter
MAX_IN_VALUES = 500  # values in one IN (...) list
MAX_LIKE_PATTERN = 200  # characters in one LIKE / ILIKE pattern

QUERY_LIMITS: dict[str, int] = {
    "MAX_QUERY_LENGTH": MAX_QUERY_LENGTH,
    "MAX_ORDER_KEYS": MAX_ORDER_KEYS,
    "MAX_FILTER_DEPTH": MAX_FILTER_DEPTH,
    "MAX_FILTER_PREDICATES": MAX_FILTER_PREDICATES,
    "MAX_IN_VALUES": MAX_IN_VALUES,
    "MAX_LIKE_PATTERN": MAX_LIKE_PATTERN,
}

_OPERATORS = frozenset({"or_expr", "and_expr", "not_"})
_PREDICATES = frozenset(
    {"compare", "like", "not_like", "in_list", "not_in_list", "is_null", "is_not_null"}
)
# text no database can bind: PostgreSQL refuses NUL in text, and a lone UTF-16 surrogate
# (which a Python str may hold) has no UTF-8 encoding
_UNBINDABLE = re.compile("[\x00\ud800-\udfff]")


def limit_error(
    what: str, name: str, field: str, *, position: int | None = None
) -> InvalidQueryError:
    """``what`` says what is too large ("the filter nests ... 17 deep")."""
    limit = QUERY_LIMITS[name]
    details: dict[str, Any] = {"field": field, "limit": limit}
    if position is not None:
        details["position"] = position
    return InvalidQueryError(f"{what}; the limit is {limit} ({name})", details=details)


def check_text(text: str, field: str) -> None:
    """Refuse a NUL or a lone surrogate anywhere in ``text`` (a filter, order key or
    group-by field): no stored key or value can hold one, and binding one fails."""
    bad = _UNBINDABLE.search(text)
    if bad is None:
        return
    char = bad.group()
    kind = "a NUL character" if char == "\x00" else f"a lone surrogate U+{ord(char):04X}"
    details: dict[str, Any] = {"field": field, "position": bad.start()}
    raise InvalidQueryError(
        f"{field} contains {kind} at position {bad.start()}; it must be valid Unicode text "
        "without NUL",
        details=details,
    )


def _first_position(tree: Any) -> int | None:
    """Start of the first token under a lark tree (found without recursion)."""
    stack = [tree]
    while stack:
        item = stack.pop()
        children = getattr(item, "children", None)
        if children is None:
            pos = getattr(item, "start_pos", None)
            return int(pos) if pos is not None else None
        stack.extend(reversed(children))
    return None


def check_tree(tree: Any) -> None:
    """Walk a parsed filter (a lark tree, which may be arbitrarily deep) without recursion
    and refuse one over MAX_FILTER_DEPTH, MAX_FILTER_PREDICATES or MAX_IN_VALUES."""
    predicates = 0
    first_over: int | None = None  # position of the first predicate over the limit
    stack: list[tuple[Any, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        data = getattr(node, "data", None)
        if data in _OPERATORS:
            if depth + 1 > MAX_FILTER_DEPTH:
                pos = _first_position(node)
                raise limit_error(
                    f"the filter nests AND/OR/NOT operators more than {MAX_FILTER_DEPTH} deep "
                    f"(at position {pos})",
                    "MAX_FILTER_DEPTH",
                    "filter",
                    position=pos,
                )
            stack.extend((child, depth + 1) for child in reversed(node.children))
        elif data in _PREDICATES:
            predicates += 1
            if predicates == MAX_FILTER_PREDICATES + 1:
                first_over = _first_position(node)
            if data in ("in_list", "not_in_list"):
                values = node.children[1].children
                if len(values) > MAX_IN_VALUES:
                    pos = _first_position(node.children[1])
                    raise limit_error(
                        f"the IN list at position {pos} has {len(values)} values",
                        "MAX_IN_VALUES",
                        "filter",
                        position=pos,
                    )
    if predicates > MAX_FILTER_PREDICATES:
        raise limit_error(
            f"the filter has {predicates} comparisons",
            "MAX_FILTER_PREDICATES",
            "filter",
            position=first_over,
        )


def check_like_pattern(pattern: str, field: str, position: int | None) -> None:
    if len(pattern) > MAX_LIKE_PATTERN:
        raise limit_error(
            f"the LIKE pattern for {field} is {len(pattern)} characters",
            "MAX_LIKE_PATTERN",
            "filter",
            position=position,
        )


def check_order_count(items: list[str]) -> None:
    given = [item for item in items if item.strip()]
    if len(given) > MAX_ORDER_KEYS:
        raise limit_error(f"order_by has {len(given)} keys", "MAX_ORDER_KEYS", "order_by")
