"""MLflow's small filter language for experiments and registered models: ``name`` and
``tags.<key>`` compared with ``=``, ``!=``, ``LIKE``, ``ILIKE`` (and ``NOT`` forms), joined
by ``AND``; and the offset page tokens of listings answered from memory."""

from __future__ import annotations

import base64
import fnmatch
import re
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any, TypeVar

from labledger.server.mlflow.protocol import Args, invalid

T = TypeVar("T")

Condition = tuple[str, str, str]  # (field: "name" or a tag key prefixed "tag:", op, value)

_CONDITION = re.compile(
    r"\s*(?P<field>(?:attributes?\.|attr\.)?name|tags?\.(?:`[^`]+`|\"[^\"]+\"|[\w.\-/ ]+?))"
    r"\s*(?P<op>!=|=|(?:NOT\s+)?I?LIKE)\s*(?P<value>'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")\s*",
    re.IGNORECASE,
)


def conditions(text: str) -> list[Condition]:
    out = []
    for part in re.split(r"\s+AND\s+", text.strip(), flags=re.IGNORECASE):
        m = _CONDITION.fullmatch(part)
        if m is None:
            invalid(f"Invalid filter {text!r}: could not read {part.strip()!r}")
        field = m["field"]
        if field.lower().startswith("tag"):
            field = "tag:" + field.split(".", 1)[1].strip('`"')
        else:
            field = "name"
        quote = m["value"][0]
        out.append(
            (field, " ".join(m["op"].upper().split()), m["value"][1:-1].replace(quote * 2, quote))
        )
    return out


def like(value: str, pattern: str, *, fold: bool) -> bool:
    """SQL LIKE: ``%`` any run of characters, ``_`` one character."""
    if fold:
        value, pattern = value.lower(), pattern.lower()
    glob = "".join(
        "*" if c == "%" else "?" if c == "_" else f"[{c}]" if c in "[*?" else c for c in pattern
    )
    return fnmatch.fnmatchcase(value, glob)


def holds(name: str, tags: dict[str, str], conds: list[Condition]) -> bool:
    for field, op, wanted in conds:
        value = name if field == "name" else tags.get(field[4:])
        negate = op.startswith("NOT ")
        if value is None:  # as MLflow's stores join tags: no tag, no match, whatever the op
            return False
        op = op.removeprefix("NOT ")
        if op == "=":
            ok = value == wanted
        elif op == "!=":
            ok = value != wanted
        else:
            ok = like(value, wanted, fold=op == "ILIKE")
        if ok == negate:
            return False
    return True


def offset_token(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def offset_of(token: str | None) -> int:
    if not token:
        return 0
    try:
        value = int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        invalid(f"Invalid page token {token!r}: it was not made by this server")
    if value < 0:
        invalid(f"Invalid page token {token!r}: it was not made by this server")
    return value


def listing(
    items: Sequence[T],
    args: Args,
    *,
    name: Callable[[T], str],
    tags: Callable[[T], dict[str, str]],
    order_fields: dict[str, str],
    max_default: int,
    max_limit: int,
    ignore: Callable[[Condition], bool] = lambda _: False,
) -> tuple[list[T], str | None]:
    """One page of ``items`` (already in their default order) matching ``filter`` (less the
    conditions ``ignore`` says hold anyway), sorted by ``order_by`` (MLflow's field name ->
    attribute), from ``page_token``: (page, next token)."""
    max_results = args.integer("max_results", default=max_default)
    if not 1 <= max_results <= max_limit:
        invalid(
            f"Invalid value {max_results} for parameter 'max_results': between 1 and {max_limit}"
        )
    text = args.text("filter") or ""
    conds = [c for c in conditions(text) if not ignore(c)] if text.strip() else []
    found = [item for item in items if holds(name(item), tags(item), conds)]
    for clause in reversed(args.texts("order_by")):
        field, _, direction = clause.strip().partition(" ")
        attr = order_fields.get(field.removeprefix("attributes.").removeprefix("attribute."))
        if attr is None or direction.strip().upper() not in ("", "ASC", "DESC"):
            invalid(f"Invalid order_by clause {clause!r}: one of {', '.join(order_fields)}")
        key: Callable[[Any], Any] = attrgetter(attr)
        found.sort(key=key, reverse=direction.strip().upper() == "DESC")
    offset = offset_of(args.text("page_token"))
    token = offset_token(offset + max_results) if offset + max_results < len(found) else None
    return found[offset : offset + max_results], token
