"""The search language: grammar, AST and parser.  Compiling to SQL happens in ``store``.

Examples::

    metrics.acc > 0.9 and (params.optimizer.name = 'adam' or tags.team = 'vision')
    attributes.status IN ('finished', 'failed') AND NOT name LIKE 'debug%'
    params.`weird key` != "x" and duration > 60000

A field is ``<kind>.<key>`` with kind one of metrics, params, tags, attributes (singular
forms and ``attr`` are accepted); a key may be quoted with backticks or double quotes.  A
bare name is an attribute (``status``, ``name``...).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from labledger.core import query_limits
from labledger.core.errors import InvalidQueryError
from labledger.core.limits import MAX_QUERY_LENGTH

Kind = Literal["metrics", "params", "tags", "attributes", "datasets"]
DATASET_FIELDS = frozenset({"name", "role", "digest", "uri"})
Value = str | float | int | None

ATTRIBUTES: dict[str, str] = {
    # name in the language -> canonical attribute name
    "id": "id",
    "run_id": "id",
    "name": "name",
    "run_name": "name",
    "status": "status",
    "user": "user",
    "start_time": "start_time",
    "end_time": "end_time",
    "duration": "duration",
    "group": "group",
    "parent_id": "parent_id",
    "run_key": "run_key",
}
NUMERIC_ATTRIBUTES = frozenset({"start_time", "end_time", "duration"})
_KIND_ALIASES: dict[str, Kind] = {
    "metric": "metrics",
    "metrics": "metrics",
    "param": "params",
    "params": "params",
    "tag": "tags",
    "tags": "tags",
    "attribute": "attributes",
    "attributes": "attributes",
    "attr": "attributes",
    "dataset": "datasets",
    "datasets": "datasets",
}


@dataclass(frozen=True, slots=True)
class Field:
    kind: Kind
    key: str
    # "" in run searches; the registry's search (core/registry_query.py) says whose field it
    # is: "version", "model", or "run" (the version's source run)
    scope: str = ""

    def __str__(self) -> str:
        prefix = f"{self.scope}." if self.scope and self.scope != "version" else ""
        if self.scope and self.kind == "attributes":
            return f"{prefix}{self.key}"
        return f"{prefix}{self.kind}.{self.key}"


@dataclass(frozen=True, slots=True)
class Compare:
    field: Field
    op: str  # = != < <= > >= like ilike "not like" "not ilike"
    value: Value


@dataclass(frozen=True, slots=True)
class InList:
    field: Field
    values: tuple[Value, ...]
    negated: bool


@dataclass(frozen=True, slots=True)
class IsNull:
    field: Field
    negated: bool


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


Node = Compare | InList | IsNull | And | Or | Not


@dataclass(frozen=True, slots=True)
class OrderKey:
    field: Field
    descending: bool


_GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND not_expr)*
?not_expr: _NOT not_expr -> not_
         | atom
?atom: "(" or_expr ")"
     | field CMP value              -> compare
     | field LIKE_OP value          -> like
     | field _NOT LIKE_OP value     -> not_like
     | field _IN "(" values ")"     -> in_list
     | field _NOT _IN "(" values ")" -> not_in_list
     | field _IS _NULL              -> is_null
     | field _IS _NOT _NULL         -> is_not_null
values: value ("," value)*
?value: STRING -> string
      | NUMBER -> number
      | _NULL -> null
field: FIELD | NAME
CMP: "<=" | ">=" | "!=" | "<>" | "==" | "=" | "<" | ">"
LIKE_OP.2: /(i?like)\b/i
_AND.2: /and\b/i
_OR.2: /or\b/i
_NOT.2: /not\b/i
_IN.2: /in\b/i
_IS.2: /is\b/i
_NULL.2: /null\b/i
FIELD: /[A-Za-z_]+\.(`[^`]*`|"[^"]*"|[^\s()=<>!,'"`]+)/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
STRING: /'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"/
NUMBER: /[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/
%import common.WS
%ignore WS
"""


@functools.cache
def _parser():  # type: ignore[no-untyped-def]
    import lark

    return lark.Lark(_GRAMMAR, parser="lalr", propagate_positions=False, maybe_placeholders=False)


def parse_field(text: str) -> Field:
    """Parse ``kind.key`` (or a bare attribute name) into a Field."""
    if "." in text:
        prefix, key = text.split(".", 1)
        kind = _KIND_ALIASES.get(prefix.lower())
        if kind is None:
            raise InvalidQueryError(
                f"unknown field kind {prefix!r}: use metrics., params., tags., attributes. "
                "or datasets.",
                details={"field": text},
            )
        if len(key) >= 2 and key[0] == key[-1] and key[0] in '`"':
            key = key[1:-1]
        if not key:
            raise InvalidQueryError(f"empty key in {text!r}", details={"field": text})
    else:
        kind, key = "attributes", text
    if kind == "attributes":
        canonical = ATTRIBUTES.get(key.lower())
        if canonical is None:
            raise InvalidQueryError(
                f"unknown attribute {key!r}; known: {', '.join(sorted(set(ATTRIBUTES.values())))}",
                details={"field": text},
            )
        key = canonical
    if kind == "datasets" and key.lower() not in DATASET_FIELDS:
        raise InvalidQueryError(
            f"unknown dataset field {key!r}; known: {', '.join(sorted(DATASET_FIELDS))}",
            details={"field": text},
        )
    return Field(kind, key.lower() if kind == "datasets" else key)


def _unquote(token: str) -> str:
    quote, body = token[0], token[1:-1]
    return re.sub(r"\\(.)|" + quote * 2, lambda m: m.group(1) or quote, body)


def _number(token: str) -> float | int:
    """An integer literal stays an exact int of any size (compared as text with a tag, as
    a double with a metric; see ``store.filters``); anything else is a double, and one beyond
    the double range is +-infinity."""
    try:
        return int(token)
    except ValueError:  # a fraction or exponent, or more digits than int() reads
        return float(token)


def _to_ast(tree: object, fields: Callable[[str], Field]) -> Node:
    import lark

    assert isinstance(tree, lark.Tree)
    data = tree.data
    ch = tree.children
    if data == "or_expr":
        return Or(tuple(_to_ast(c, fields) for c in ch))
    if data == "and_expr":
        return And(tuple(_to_ast(c, fields) for c in ch))
    if data == "not_":
        return Not(_to_ast(ch[0], fields))
    field = fields(str(ch[0].children[0]))
    if data == "compare":
        op = {"==": "=", "<>": "!="}.get(str(ch[1]), str(ch[1]))
        return Compare(field, op, _value(ch[2]))
    if data in ("like", "not_like"):
        op = str(ch[1]).lower()
        value = _value(ch[2])
        if not isinstance(value, str):
            raise InvalidQueryError(
                f"{op.upper()} needs a string pattern for {field}", details={"field": str(field)}
            )
        pattern_pos = getattr(ch[2].children[0], "start_pos", None)
        query_limits.check_like_pattern(value, str(field), pattern_pos)
        return Compare(field, op if data == "like" else f"not {op}", value)
    if data in ("in_list", "not_in_list"):
        values = tuple(_value(v) for v in ch[1].children)
        return InList(field, values, negated=data == "not_in_list")
    if data in ("is_null", "is_not_null"):
        return IsNull(field, negated=data == "is_not_null")
    raise InvalidQueryError(f"unsupported expression {data}")


def _value(tree: object) -> Value:
    import lark

    assert isinstance(tree, lark.Tree)
    if tree.data == "null":
        return None
    token = str(tree.children[0])
    return _unquote(token) if tree.data == "string" else _number(token)


def parse_filter(text: str | None, fields: Callable[[str], Field] = parse_field) -> Node | None:
    """Parse a filter expression.  Empty -> None.  Raises InvalidQueryError with position.
    ``fields`` reads each field name (the registry's search names its own fields)."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidQueryError(
            f"filter is {len(text)} characters; the limit is {MAX_QUERY_LENGTH} (MAX_QUERY_LENGTH)",
            details={"field": "filter", "limit": MAX_QUERY_LENGTH},
        )
    query_limits.check_text(text, "filter")
    import lark

    try:
        tree = _parser().parse(text)
    except lark.exceptions.UnexpectedInput as exc:
        pos = int(getattr(exc, "pos_in_stream", 0) or 0)
        token = getattr(exc, "token", None)
        if isinstance(exc, lark.exceptions.UnexpectedEOF) or getattr(token, "type", "") == "$END":
            pos = len(text)
        raise _syntax_error(text, pos, exc) from None
    if not isinstance(tree, lark.Tree) or tree.data in ("string", "number", "null", "field"):
        raise InvalidQueryError(
            "filter must be a comparison such as metrics.acc > 0.9",
            details={"position": 0, "line": 1, "column": 1},
        )
    # the tree may be as deep as the text is long: check its shape without recursion
    # before _to_ast (and the SQL compiler) recurse over it
    query_limits.check_tree(tree)
    return _to_ast(tree, fields)


def _syntax_error(text: str, pos: int, exc: Exception) -> InvalidQueryError:
    pos = max(0, min(pos, len(text)))
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    near = text[pos : pos + 20] or "end of input"
    expected = sorted(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or [])
    hint = ""
    if expected:
        names = {
            "CMP": "a comparison operator",
            "RPAR": "')'",
            "STRING": "a string",
            "NUMBER": "a number",
            "FIELD": "a field",
            "NAME": "a field",
            "LPAR": "'('",
            "_AND": "AND",
            "_OR": "OR",
            "LIKE_OP": "LIKE",
            "_IN": "IN",
            "_IS": "IS",
            "_NOT": "NOT",
            "_NULL": "NULL",
            "$END": "end of input",
        }
        wanted = sorted({names.get(e, e) for e in expected})
        hint = f"; expected {' or '.join(wanted[:5])}"
    return InvalidQueryError(
        f"syntax error at position {pos} (line {line}, column {column}) near {near!r}{hint}",
        details={"position": pos, "line": line, "column": column},
    )


def parse_order_by(items: list[str] | None) -> list[OrderKey]:
    """Parse ``["metrics.acc desc", "name"]`` into order keys.

    At most MAX_ORDER_KEYS items; a field given again (in either direction) is dropped,
    since rows tied on it are still tied on it.
    """
    query_limits.check_order_count(items or [])
    keys: list[OrderKey] = []
    seen: set[Field] = set()
    for raw in items or []:
        query_limits.check_text(raw, "order_by")
        parts = raw.strip().rsplit(None, 1)
        if not parts:
            continue
        descending = False
        if len(parts) == 2 and parts[1].lower() in ("asc", "desc"):
            descending = parts[1].lower() == "desc"
            text = parts[0]
        else:
            text = raw.strip()
            if len(parts) == 2 and not re.search(r"[`\"]", text):
                raise InvalidQueryError(
                    f"order_by item {text!r}: after the field comes ASC or DESC, not "
                    f"{parts[1]!r} (a key with spaces is written in backticks)",
                    details={"field": "order_by", "item": text},
                )
        field = parse_field(text)
        if field.kind == "datasets":
            raise InvalidQueryError(
                f"cannot order by {field}: a run may use several datasets",
                details={"field": text},
            )
        if field not in seen:
            seen.add(field)
            keys.append(OrderKey(field, descending))
    return keys


def check_filter(filter_text: str | None, order_by: list[str] | None = None) -> None:
    """Raise InvalidQueryError if the filter or order cannot be used (no database needed).

    Type errors that depend on the field (a string compared with a metric, LIKE on a
    metric) are found here too, by the same rules the SQL compiler applies.
    """
    node = parse_filter(filter_text)
    parse_order_by(order_by)
    if node is not None:
        _check_types(node)


def _check_types(node: Node) -> None:
    if isinstance(node, And | Or):
        for item in node.items:
            _check_types(item)
    elif isinstance(node, Not):
        _check_types(node.item)
    elif isinstance(node, Compare):
        numeric = isinstance(node.value, int | float)
        if node.field.kind == "metrics" and (not numeric or "like" in node.op):
            raise InvalidQueryError(
                f"{node.field} is compared with a number, got {node.value!r}",
                details={"field": str(node.field)},
            )
        if node.field.kind == "attributes" and node.field.key in NUMERIC_ATTRIBUTES and not numeric:
            raise InvalidQueryError(
                f"{node.field} is compared with a number of milliseconds",
                details={"field": str(node.field)},
            )
    elif isinstance(node, InList) and node.field.kind == "metrics":
        if not all(isinstance(v, int | float) for v in node.values):
            raise InvalidQueryError(
                f"{node.field} IN needs numbers", details={"field": str(node.field)}
            )
