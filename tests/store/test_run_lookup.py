"""The metadata store's id-prefix lookup, run deletion and key listing, on both backends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from hyperflow import StoreError
from hyperflow.store import (
    ArtifactRecord,
    MetricPoint,
    NewVersion,
    NodeRecord,
    RunRecord,
    RunStatus,
    SQLStore,
)


@pytest.fixture
def store(store_url: str) -> Iterator[SQLStore]:
    s = SQLStore(store_url)
    yield s
    s.close()


def _run(store: SQLStore, run_id: str, **kw: Any) -> str:
    store.create_run(RunRecord(run_id=run_id, status="running", start_time=time.time(), **kw))
    return run_id


def test_find_run_ids_treats_like_wildcards_as_plain_characters(store: SQLStore) -> None:
    for run_id in ("ab_1", "abx1", "ab%2", "b"):
        _run(store, run_id)
    assert store.find_run_ids("ab") == ["ab%2", "ab_1", "abx1"]
    assert store.find_run_ids("ab_") == ["ab_1"]
    assert store.find_run_ids("ab%") == ["ab%2"]
    assert store.find_run_ids("ab", limit=1) == ["ab%2"]
    assert store.find_run_ids("z") == []


def test_delete_run_removes_every_record_of_it(store: SQLStore) -> None:
    run_id = _run(store, "r1", params={"a": 1}, tags={"t": "x"})
    other = _run(store, "r2", params={"a": 2})
    store.log_metrics(run_id, [MetricPoint("f1", 0.5, 0, 1.0)])
    store.log_nodes(run_id, [NodeRecord("n", 0.1, False)])
    store.log_artifact(run_id, ArtifactRecord("model", "d" * 64, "pickle", 1, "T"))
    store.delete_run(run_id)
    assert store.get_run(run_id) is None
    assert store.metric_history(run_id, "f1") == []
    assert store.known_keys("metrics") == [] and store.known_keys("tags") == []
    assert [r.run_id for r in store.search_runs()] == [other]
    with pytest.raises(StoreError, match="no run 'r1'"):
        store.delete_run(run_id)


def test_delete_run_is_refused_while_a_model_version_uses_it(store: SQLStore) -> None:
    run_id = _run(store, "r1")
    new = NewVersion(run_id, "m:p", None, {}, {}, {}, {})
    store.registry_store().add_version("demo", lambda _: ("1.0.0", "1"), new)
    with pytest.raises(StoreError, match=r"demo:1\.0\.0 were built from it"):
        store.delete_run(run_id)
    assert store.get_run(run_id) is not None


def test_known_keys_lists_and_checks_keys(store: SQLStore) -> None:
    a, b = _run(store, "r1", params={"C": 1}), _run(store, "r2", params={"model": "lr"})
    store.log_metrics(a, [MetricPoint("f1", 0.5, 0, 1.0)])
    store.log_metrics(b, [MetricPoint("auc", 0.5, 0, 1.0), MetricPoint("f1", 0.1, 0, 1.0)])
    assert store.known_keys("metrics") == ["auc", "f1"]
    assert store.known_keys("params") == ["C", "model"]
    assert store.known_keys("metrics", among=["f1", "acc"]) == ["f1"]
    with pytest.raises(StoreError, match="kind must be one of"):
        store.known_keys("nodes")


def test_run_status_is_an_enum_checked_at_the_boundary(store: SQLStore) -> None:
    run_id = _run(store, "r1")
    with pytest.raises(StoreError, match="a run status is one of running, finished, failed"):
        store.end_run(run_id, status="done", end_time=2.0)
    store.end_run(run_id, status=RunStatus.FINISHED, end_time=2.0)
    rec = store.get_run(run_id)
    assert rec is not None and rec.status is RunStatus.FINISHED and rec.status == "finished"
    with pytest.raises(StoreError, match="a run status is one of"):
        store.create_run(RunRecord(run_id="r9", status="ok", start_time=1.0))
