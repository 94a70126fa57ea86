"""Issue 23 (findings 7 and 9): hostile ``where=`` filters get a ``QueryError`` naming the
limit, never a RecursionError, a MemoryError or the database's error with the SQL in it."""

from __future__ import annotations

import time

import pytest

import hyperflow as hf
from hyperflow.store import (
    MetricPoint,
    QueryError,
    RunRecord,
    SQLStore,
    get_store,
    parse_where,
)


@pytest.fixture
def store(store_url: str) -> SQLStore:
    meta = get_store(store_url)
    assert isinstance(meta, SQLStore)
    meta.create_run(RunRecord(run_id="a" * 32, name="a", status="finished", start_time=1.0))
    meta.log_metrics("a" * 32, [MetricPoint("f1", 0.9, 0, time.time())])
    return meta


def _refused(store: SQLStore, where: str, limit: str) -> None:
    with pytest.raises(QueryError, match=limit) as caught:
        store.search_runs(where=where)
    assert "SELECT" not in str(caught.value)
    with pytest.raises(QueryError, match=limit):
        store.registry_store().search(where.replace("metrics.f1", "name"))


def test_500_nested_parentheses(store: SQLStore) -> None:
    _refused(store, "(" * 500 + "name = 'a'" + ")" * 500, "MAX_DEPTH")


def test_1200_term_and_expression(store: SQLStore) -> None:
    _refused(store, " and ".join(["metrics.f1 > 0"] * 1200), "MAX_CONDITIONS")


def test_2000_or_terms(store: SQLStore) -> None:
    _refused(store, " or ".join(["name = 'a'"] * 2000), "MAX_CONDITIONS")


def test_huge_in_list_and_huge_text(store: SQLStore) -> None:
    from hyperflow.store._query import MAX_IN_VALUES, MAX_LENGTH

    values = ", ".join(["'a'"] * (MAX_IN_VALUES + 1))
    _refused(store, f"name in ({values})", "MAX_IN_VALUES")
    _refused(store, "name = '" + "x" * MAX_LENGTH + "'", "MAX_LENGTH")


def test_filters_at_the_limits_still_run_on_both_backends(store: SQLStore) -> None:
    from hyperflow.store._query import MAX_CONDITIONS, MAX_DEPTH, MAX_IN_VALUES

    deep = "(" * MAX_DEPTH + "name = 'a'" + ")" * MAX_DEPTH
    wide = " or ".join(["metrics.f1 > 0"] * MAX_CONDITIONS)
    many = "name in (" + ", ".join(["'a'"] * MAX_IN_VALUES) + ")"
    for where in (deep, wide, many):
        assert [r.name for r in store.search_runs(where=where)] == ["a"]
    assert store.registry_store().search(wide.replace("metrics.f1 > 0", "name = 'a'")) == []


def test_limits_hold_through_the_public_search(store_url: str, store: SQLStore) -> None:
    with pytest.raises(QueryError, match="MAX_DEPTH"):
        hf.runs.search(where="(" * 500 + "metrics.f1 > 0" + ")" * 500, store=store_url)
    with pytest.raises(QueryError, match="MAX_CONDITIONS"):
        parse_where(" or ".join(["name = 'a'"] * 2000), scope="versions")
