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
from dataclasses import dataclass, field
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


_NOT_NULL_ATTRIBUTES = frozenset({"id", "name", "status", "start_time"})


@dataclass(frozen=True, slots=True)
class _SortKey:
    """How one order key sorts.  A metric or param key has a numeric column whose presence
    splits the search in two phases: runs with a value (phase 1, ordered by the value index
    with a plain ASC/DESC the databases can read backwards) then the others (phase 2)."""

    sort: list[Any]
    alias: Any = None
    on: Any = None
    numeric: Any = None
    phase2_sort: list[Any] = field(default_factory=list)
    has_value: Any = None  # EXISTS over a separate alias: the run has a non-NULL value


def _direction(col: Any, descending: bool, *, nulls_last: bool) -> Any:
    expr = col.desc() if descending else col.asc()
    return expr.nulls_last() if nulls_last else expr


def _sort_key(c: FilterCompiler, key: OrderKey, idx: int) -> _SortKey:
    f, desc = key.field, key.descending
    if f.kind == "attributes":
        nullable = f.key not in _NOT_NULL_ATTRIBUTES
        return _SortKey([_direction(ATTR_COLUMNS[f.key], desc, nulls_last=nullable)])
    if f.kind == "metrics":
        alias = latest_metrics.alias(f"o{idx}")
        kid = c.key_id(f.key)
        kid_ = kid if kid is not None else -1
        on = and_(alias.c.run_pk == runs.c.pk, alias.c.key_id == kid_)
        probe = latest_metrics.alias(f"e{idx}")
        has_value = (
            exists()
            .where(probe.c.run_pk == runs.c.pk, probe.c.key_id == kid_, probe.c.value.is_not(None))
            .correlate(runs)
        )
        return _SortKey(
            [_direction(alias.c.value, desc, nulls_last=False)],
            alias,
            on,
            alias.c.value,
            # phase 2: runs whose value is NaN (stored as NULL) before runs without the key
            [alias.c.run_pk.is_(None).asc()],
            has_value,
        )
    if f.kind == "params":
        alias = params.alias(f"o{idx}")
        on = and_(alias.c.run_pk == runs.c.pk, alias.c.key == f.key)
        probe = params.alias(f"e{idx}")
        has_value = (
            exists()
            .where(
                probe.c.run_pk == runs.c.pk, probe.c.key == f.key, probe.c.value_num.is_not(None)
            )
            .correlate(runs)
        )
        return _SortKey(
            [_direction(alias.c.value_num, desc, nulls_last=False)],
            alias,
            on,
            alias.c.value_num,
            [_direction(alias.c.value, desc, nulls_last=True)],
            has_value,
        )
    alias = tags.alias(f"o{idx}")
    on = and_(alias.c.run_pk == runs.c.pk, alias.c.key == f.key)
    return _SortKey([_direction(alias.c.value, desc, nulls_last=True)], alias, on)


def _secondary(key: _SortKey) -> list[Any]:
    """Sort expressions of a non-first key, which is outer-joined (so may be NULL)."""
    if key.numeric is None:
        return key.sort
    first = key.sort[0]
    return [first.nulls_last(), *key.phase2_sort]


def _fingerprint(project_id: int, filter_text: str | None, order: list[OrderKey]) -> str:
    raw = json.dumps([project_id, filter_text or "", [(str(o.field), o.descending) for o in order]])
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


# a token's offset; beyond it the databases' 64-bit OFFSET (plus the page) would overflow
_MAX_OFFSET = 2**62


def _decode_token(token: str | None, fingerprint: str) -> tuple[int, int]:
    if not token:
        return 1, 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        phase, offset, fp = int(data["p"]), int(data["o"]), str(data["f"])
    except (ValueError, KeyError, TypeError, OverflowError):
        raise InvalidQueryError(
            "page_token is not a token returned by this search", details={"field": "page_token"}
        ) from None
    if fp != fingerprint or phase not in (1, 2) or not 0 <= offset <= _MAX_OFFSET:
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
    keys = [_sort_key(c, k, i) for i, k in enumerate(order)]
    lead = keys[0] if keys and keys[0].numeric is not None else None
    rest = keys[1:] if lead is not None else keys
    rest_sort = [e for k in rest for e in _secondary(k)]
    by_start = any(k.field == Field("attributes", "start_time") for k in order)
    # ties break by start time (newest first) unless the caller already sorts by it
    default_sort = [runs.c.pk.desc()] if by_start else [runs.c.start_ms.desc(), runs.c.pk.desc()]

    def build(phase_: int | None) -> Select[Any]:
        source: Any = runs
        conds = list(where)
        sort: list[Any] = []
        tiebreak = default_sort
        if lead is not None and phase_ == 1:
            source = source.join(lead.alias, and_(lead.on, lead.numeric.is_not(None)))
            conds.append(lead.alias.c.project_id == project_id)
            sort = list(lead.sort)
            # ties break by run in the key's direction: the (project, key, value, run)
            # index then yields the page in order, with no sort of a large tie group
            run = lead.alias.c.run_pk
            tiebreak = [run.desc() if order[0].descending else run.asc()]
        elif lead is not None:
            conds.append(not_(lead.has_value))
            if lead.phase2_sort:
                source = source.outerjoin(lead.alias, lead.on)
                sort = list(lead.phase2_sort)
        for k in rest:
            if k.alias is not None:
                source = source.outerjoin(k.alias, k.on)
        return (
            select(runs.c.pk)
            .select_from(source)
            .where(*conds)
            .order_by(*sort, *rest_sort, *tiebreak)
        )

    pks: list[int] = []
    next_token: str | None = None
    if lead is None:
        rows = conn.execute(build(None).limit(limit + 1).offset(offset)).scalars().all()
        pks = list(rows[:limit])
        if len(rows) > limit:
            next_token = _encode_token(1, offset + limit, fp)
    else:
        if phase == 1:
            rows = conn.execute(build(1).limit(limit + 1).offset(offset)).scalars().all()
            pks = list(rows[:limit])
            if len(rows) > limit:
                next_token = _encode_token(1, offset + limit, fp)
            else:
                phase, offset = 2, 0
        if phase == 2 and next_token is None:
            want = limit - len(pks)
            rows = conn.execute(build(2).limit(want + 1).offset(offset)).scalars().all()
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
    runs without the key form a group with value None.  Largest groups first.

    The grouped table is an alias, and the filter's EXISTS correlate to ``runs`` alone, so
    a filter on the same table (``params.x = 1`` grouped by ``params.y``) keeps its FROM."""
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
    if field.kind in ("metrics", "datasets"):
        raise InvalidQueryError(
            f"cannot group by {field}; group by a param, tag or attribute",
            details={"field": "group_by"},
        )
    table = (params if field.kind == "params" else tags).alias("g")
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
        select(func.count())
        .select_from(runs)
        .where(*where, not_(exists().where(on).correlate(runs)))
    ).scalar()
    if missing:
        groups.append(RunGroup(None, int(missing)))
    return groups
