"""The run search's SQL: pages of runs in any order, and key listings, fast on large stores.

A sort by a metric walks the ``(key, value)`` index of ``hf_latest_metrics`` in order
(joined to the runs, the filter checked per row) and stops after one page, rather
than looking the metric up for every run and sorting them all. Runs without the
metric follow (nulls last), ordered by the remaining sort fields; only a page that
lies wholly among those counts the runs before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from hyperflow._errors import StoreError
from hyperflow.store import _schema as S
from hyperflow.store._query import compile_order, leading_metric

__all__ = ["distinct_keys", "run_keys", "run_rows"]


_DEFERRED_MAX = 1_000  # pages up to this size pick their ids first, then read the rows
_FAR = 1_000  # from this offset on, a sort by a metric may walk from the far end
_FAR_FILTERED = 10_000  # the same with a filter (knowing the far end costs a filter pass)


def _page(stmt: Any, limit: int | None, offset: int) -> Any:
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt.offset(offset) if offset else stmt


def run_rows(
    conn: sa.Connection,
    columns: Sequence[Any],
    where: Sequence[Any],
    order_by: str | Sequence[str] | None,
    limit: int | None,
    offset: int,
) -> list[Any]:
    """Rows of ``columns`` of the runs matching ``where``, sorted, one page of them.

    A page past the first picks the ids alone (the rows it skips are never read),
    then reads its rows.
    """
    deferred = offset > 0 and limit is not None and limit <= _DEFERRED_MAX
    picked = [S.runs.c.run_id] if deferred else list(columns)
    lead = leading_metric(order_by)
    if lead is None:
        stmt = sa.select(*picked).where(*where).order_by(*compile_order(order_by))
        rows = list(conn.execute(_page(stmt, limit, offset)).all())
    else:
        rows = _by_metric(conn, picked, where, lead, limit, offset)
    if not deferred or not rows:
        return rows
    ids = [r.run_id for r in rows]
    full = conn.execute(sa.select(*columns).where(S.runs.c.run_id.in_(ids))).all()
    position = {run_id: n for n, run_id in enumerate(ids)}
    return sorted(full, key=lambda r: position[r.run_id])


def _having(key: str, present: bool = True) -> Any:
    """Whether the run (of the outer query) has a latest value of metric ``key``."""
    lm = S.latest_metrics
    found = sa.exists().where(lm.c.run_id == S.runs.c.run_id, lm.c.key == key)
    return found if present else ~found


def _total(conn: sa.Connection, where: Sequence[Any], key: str) -> int:
    """How many runs matching ``where`` have metric ``key`` (read in the runs' own order:
    walking the metric's index would visit them at random)."""
    lm = S.latest_metrics
    if where:
        stmt = sa.select(sa.func.count()).select_from(S.runs).where(*where, _having(key))
    else:
        stmt = sa.select(sa.func.count()).select_from(lm).where(lm.c.key == key)
    return int(conn.execute(stmt).scalar_one())


def _by_metric(
    conn: sa.Connection,
    columns: Sequence[Any],
    where: Sequence[Any],
    lead: tuple[str, bool, list[str]],
    limit: int | None,
    offset: int,
) -> list[Any]:
    """A page sorted by a metric first: the runs that have it, then those that do not.

    Far pages (from ``_FAR`` on) nearer the end of the runs with the metric walk the
    index from that end; a page past them all skips the walk.
    """
    key, desc, rest = lead
    runs, lm = S.runs, S.latest_metrics.alias("by_metric")  # the filter's lookups stay apart
    joined = runs.join(lm, sa.and_(lm.c.run_id == runs.c.run_id, lm.c.key == key))
    having = sa.select(*columns).select_from(joined).where(*where)
    if not where and not rest and list(columns) == [runs.c.run_id]:  # ids alone: no join
        having = sa.select(lm.c.run_id).where(lm.c.key == key)
    far = offset >= (_FAR_FILTERED if where else _FAR)
    total = _total(conn, where, key) if not rest and far else None
    if total is not None and offset >= total:
        rows = []
    elif total is not None and limit is not None and total < 2 * offset + limit:
        end = min(total, offset + limit)
        back = [lm.c.value.asc() if desc else lm.c.value.desc(), lm.c.run_id.desc()]
        rows = list(conn.execute(_page(having.order_by(*back), end - offset, total - end)))[::-1]
    else:
        tail = compile_order(rest) if rest else [lm.c.run_id]
        order = [lm.c.value.desc() if desc else lm.c.value.asc(), *tail]
        rows = list(conn.execute(_page(having.order_by(*order), limit, offset)).all())
    if limit is not None and len(rows) >= limit:
        return rows
    if total is None:  # how many runs have the metric, when the page starts past them all
        total = offset + len(rows) if rows or not offset else _total(conn, where, key)
    others = sa.select(*columns).where(*where, _having(key, present=False))
    more = None if limit is None else limit - len(rows)
    stmt = _page(others.order_by(*compile_order(rest)), more, max(0, offset - total))
    return rows + list(conn.execute(stmt).all())


def distinct_keys(conn: sa.Connection, table: sa.Table) -> list[str]:
    """The sorted distinct ``key`` values of ``table``, by a loose scan of an index that
    starts with ``key`` (one index probe per distinct key, not a read of every row)."""
    first = sa.select(sa.func.min(table.c.key).label("key")).cte("keys", recursive=True)
    following = sa.select(sa.func.min(table.c.key)).where(table.c.key > first.c.key)
    step = sa.select(following.scalar_subquery()).where(first.c.key.is_not(None))
    walk = first.union_all(step)
    stmt = sa.select(walk.c.key).where(walk.c.key.is_not(None)).order_by(walk.c.key)
    return [str(r[0]) for r in conn.execute(stmt)]


def run_keys(conn: sa.Connection, kind: str, among: Sequence[str] | None = None) -> list[str]:
    """The sorted keys of ``kind`` (metrics, params, tags) that runs have (``among``: of those)."""
    tables = {"metrics": S.latest_metrics, "params": S.params, "tags": S.tags}
    if kind not in tables:
        raise StoreError(f"kind must be one of {', '.join(tables)}, but got {kind!r}")
    table = tables[kind]
    if among is None and kind == "metrics":  # the (key, value) index: a loose scan
        return distinct_keys(conn, table)
    stmt = sa.select(table.c.key).distinct().order_by(table.c.key)
    if among is not None:
        stmt = stmt.where(table.c.key.in_(list(among)))
    return [str(r[0]) for r in conn.execute(stmt)]
