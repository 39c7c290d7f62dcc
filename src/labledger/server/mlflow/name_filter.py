"""MLflow's small filter language for experiments and registered models: ``name`` and
``tags.<key>`` compared with ``=``, ``!=``, ``LIKE``, ``ILIKE`` (and ``NOT`` forms), joined
by ``AND``; and the offset page tokens of listings answered from memory."""

from __future__ import annotations

import base64
import fnmatch
import re

from labledger.server.mlflow.protocol import invalid

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
        if value is None:  # a missing tag equals nothing and differs from everything
            if op == "!=" or negate:
                continue
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
