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
    Connection,
    and_,
    exists,
    func,
    not_,
    select,
)
from sqlalchemy.sql import Select

from labledger.core.entities import Run, RunGroup
from labledger.core.errors import InvalidQueryError
from labledger.core.query import (
    Field,
    Node,
    OrderKey,
)
from labledger.store.filters import ATTR_COLUMNS, FilterCompiler
from labledger.store.runs import _base_query, load_runs_by_pk
from labledger.store.tables import latest_metrics, params, runs, tags

GROUPABLE_ATTRIBUTES = frozenset({"status", "user", "group", "parent_id"})


def _order_columns(c: FilterCompiler, key: OrderKey, idx: int) -> tuple[list[Any], Any, Any]:
    """(sort expressions, aliased table or None, join condition or None)."""

    def direction(col: Any) -> Any:
        return (col.desc() if key.descending else col.asc()).nulls_last()

    f = key.field
    if f.kind == "attributes":
        return [direction(ATTR_COLUMNS[f.key])], None, None
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
    c = FilterCompiler(conn)
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


def _conditions(conn: Connection, project_id: int, node: Node | None) -> list[Any]:
    where: list[Any] = [runs.c.project_id == project_id]
    if node is not None:
        where.append(FilterCompiler(conn).compile(node))
    return where


def count_runs(conn: Connection, project_id: int, node: Node | None) -> int:
    q = select(func.count()).select_from(runs).where(*_conditions(conn, project_id, node))
    return int(conn.execute(q).scalar() or 0)


def group_runs(
    conn: Connection, project_id: int, node: Node | None, field: Field, limit: int
) -> list[RunGroup]:
    """Run counts per value of a param, tag or attribute among runs matching a filter;
    runs without the key form a group with value None.  Largest groups first."""
    where = _conditions(conn, project_id, node)
    n = func.count().label("n")
    if field.kind == "attributes":
        if field.key not in GROUPABLE_ATTRIBUTES:
            raise InvalidQueryError(
                f"cannot group by {field}; use one of {', '.join(sorted(GROUPABLE_ATTRIBUTES))}",
                details={"field": "group_by"},
            )
        col = ATTR_COLUMNS[field.key]
        rows = conn.execute(
            select(col.label("v"), n)
            .where(*where)
            .group_by(col)
            .order_by(n.desc(), col)
            .limit(limit)
        )
        return [RunGroup(r.v, int(r.n)) for r in rows]
    if field.kind == "metrics":
        raise InvalidQueryError(
            "cannot group by a metric; group by a param, tag or attribute",
            details={"field": "group_by"},
        )
    table = params if field.kind == "params" else tags
    on = and_(table.c.run_pk == runs.c.pk, table.c.key == field.key)
    rows = conn.execute(
        select(table.c.value.label("v"), n)
        .select_from(runs.join(table, on))
        .where(*where)
        .group_by(table.c.value)
        .order_by(n.desc(), table.c.value)
        .limit(limit)
    )
    groups = [RunGroup(r.v, int(r.n)) for r in rows]
    missing = conn.execute(
        select(func.count()).select_from(runs).where(*where, not_(exists().where(on)))
    ).scalar()
    if missing:
        groups.append(RunGroup(None, int(missing)))
    return groups
