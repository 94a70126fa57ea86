"""``hf.runs``: ids by unique prefix (git-style), delete, and filters naming unknown keys."""

from __future__ import annotations

import time
from typing import Any

import pytest
from tests.registry import models

import hyperflow as hf
from hyperflow import StoreError
from hyperflow.store import MetricPoint, QueryError, RunRecord, get_store


def _run(store_url: str, run_id: str, *, f1: float | None = None, **kw: Any) -> str:
    store = get_store(store_url)
    store.create_run(
        RunRecord(run_id=run_id, status="finished", start_time=time.time(), **kw)
    )
    if f1 is not None:
        store.log_metrics(run_id, [MetricPoint("f1", f1, 0, time.time())])
    return run_id


def test_get_accepts_a_unique_prefix(store_url: str) -> None:
    _run(store_url, "ab12" + "0" * 28, name="one")
    _run(store_url, "cd34" + "0" * 28, name="two")
    assert hf.runs.get("ab", store=store_url).name == "one"
    assert hf.runs.get("cd34" + "0" * 28, store=store_url).name == "two"
    assert hf.runs.resolve_id("c", store=store_url) == "cd34" + "0" * 28


def test_ambiguous_prefix_lists_the_candidates(store_url: str) -> None:
    a = _run(store_url, "ab12" + "0" * 28)
    b = _run(store_url, "ab34" + "0" * 28)
    with pytest.raises(hf.TrackingError, match=rf"prefix 'ab' is ambiguous: .*{a}, {b}"):
        hf.runs.get("ab", store=store_url)


def test_unknown_id_and_like_wildcards_are_errors(store_url: str) -> None:
    _run(store_url, "ab12" + "0" * 28)
    for bad in ("zz", "%", "_b", "a%"):
        with pytest.raises(hf.TrackingError, match="no run id starts with it"):
            hf.runs.get(bad, store=store_url)


def test_prefixes_work_in_compare_history_and_load_artifact(store_url: str) -> None:
    r = models.train.run(outputs=["model", "metrics"], track=store_url)
    prefix = str(r.run_id)[:10]
    assert hf.runs.load_artifact(prefix, "model", store=store_url) == r["model"]
    assert list(hf.runs.compare([prefix], store=store_url).columns) == [r.run_id]
    _run(store_url, "ef" + "1" * 30, f1=0.5)
    assert hf.runs.history("ef", "f1", store=store_url)["value"].tolist() == [0.5]


def test_delete_removes_the_run_and_its_records(store_url: str) -> None:
    r = models.train.run(outputs=["model", "metrics"], track=store_url)
    keep = models.train.run(outputs=["model"], track=store_url)
    assert hf.runs.delete(str(r.run_id)[:12], store=store_url) == r.run_id
    with pytest.raises(hf.TrackingError, match="no run"):
        hf.runs.get(str(r.run_id), store=store_url)
    left = hf.runs.search(store=store_url)
    assert left["run_id"].tolist() == [keep.run_id]
    assert get_store(store_url).metric_history(str(r.run_id), "f1") == []
    assert hf.runs.load_artifact(str(keep.run_id), "model", store=store_url) == keep["model"]


def test_delete_refuses_a_run_a_model_version_was_built_from(store_url: str) -> None:
    r = models.train.run(outputs=["model", "metrics"], track=store_url)
    hf.registry.register("demo", run_id=str(r.run_id), predict=models.predict, store=store_url)
    with pytest.raises(StoreError, match=r"cannot delete run .*demo:0\.1\.0"):
        hf.runs.delete(str(r.run_id), store=store_url)
    assert hf.runs.get(str(r.run_id), store=store_url).status == "finished"
    hf.registry.delete("demo", "0.1.0", store=store_url)
    hf.runs.delete(str(r.run_id), store=store_url)


def test_filter_on_a_metric_no_run_has_lists_the_existing_ones(store_url: str) -> None:
    _run(store_url, "ab" + "0" * 30, f1=0.9, params={"model": "lr"})
    with pytest.raises(QueryError, match=r"no run .* has metric 'acc'.*metrics that exist: f1"):
        hf.runs.search(where="metrics.acc > 0.9", store=store_url)
    with pytest.raises(QueryError, match=r"metric 'f2'; did you mean metrics\.f1\?"):
        hf.runs.search(where="metrics.f1 > 0 or metrics.f2 > 0", store=store_url)
    with pytest.raises(QueryError, match=r"param 'modl'.*params that exist: model"):
        hf.runs.search(where="params.modl = 'lr'", store=store_url)
    found = hf.runs.search(where="metrics.f1 > 0.5 and tags.any is null", store=store_url)
    assert found["run_id"].tolist() == ["ab" + "0" * 30]


def test_search_by_parent_run_and_the_deprecated_name(store_url: str) -> None:
    parent = _run(store_url, "aa" + "0" * 30, name="study")
    _run(store_url, "bb" + "0" * 30, name="t0", parent_id=parent)
    assert hf.runs.search(parent_run="aa", store=store_url)["name"].tolist() == ["t0"]
    with pytest.warns(DeprecationWarning, match="parent_run"):
        old = hf.runs.search(parent=parent, store=store_url)
    assert old["name"].tolist() == ["t0"]


def test_a_long_list_of_existing_metrics_is_shortened(store_url: str) -> None:
    run_id = _run(store_url, "ab" + "0" * 30)
    points = [MetricPoint(f"m{i:02d}", 0.0, 0, 1.0) for i in range(40)]
    get_store(store_url).log_metrics(run_id, points)
    with pytest.raises(QueryError, match=r"m00, m01, .*m29, \.\.\. \(40 in all\)\)$"):
        hf.runs.search(where="metrics.zzz > 0", store=store_url)
