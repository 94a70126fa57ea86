"""The runs table's query path (filter, sort, count, pages) on SQLite and PostgreSQL, and
the study data the study page draws from."""

from __future__ import annotations

import hyperflow as hf
from hyperflow.store import get_store
from hyperflow.ui._listing import list_runs
from hyperflow.ui._study_data import StudyIndex
from tests.ui import project


def _fill(store_url: str, n: int = 7) -> None:
    for i in range(n):
        with hf.start_run(f"r{i}", params={"k": i % 3, "i": i}, store=store_url) as run:
            run.log_metrics({"m": float(i)})


def test_pages_split_the_filtered_sorted_runs(store_url: str) -> None:
    _fill(store_url)
    store = get_store(store_url)
    seen = []
    for page in (1, 2, 3):
        listing = list_runs(store, where="params.k != 1", order="-metrics.m", page=page, size=2)
        assert listing.error is None and listing.total == 5 and listing.pages == 3
        seen += [r.name for r in listing.runs]
    assert seen == ["r6", "r5", "r3", "r2", "r0"]
    assert store.count_runs(where="metrics.m >= 4") == 3
    assert store.count_runs() == 7
    assert store.count_runs(where="metrics.m >= 1", at_most=3) == 3  # counting stops there


def test_sort_by_a_param_and_by_duration(store_url: str) -> None:
    _fill(store_url)
    store = get_store(store_url)
    by_param = list_runs(store, order="params.i", size=3)
    assert [r.name for r in by_param.runs] == ["r0", "r1", "r2"]
    assert list_runs(store, order="-duration_s").error is None


def test_unknown_keys_and_sorts_are_errors_with_hints(store_url: str) -> None:
    _fill(store_url, 2)
    store = get_store(store_url)
    bad = list_runs(store, where="metrics.mm > 1")
    assert bad.error is not None and "did you mean metrics.m?" in bad.error and bad.runs == []
    assert list_runs(store, order="params.nope").error is not None
    assert list_runs(store, where="metrics.m >").error is not None


def test_the_pareto_front_is_the_studys(tmp_path: object) -> None:
    project.seed()
    store = get_store(None)
    view = StudyIndex(store).load("ui-pareto")
    import optuna

    from hyperflow.optimize import Objective, Study

    ostudy = optuna.load_study(study_name="ui-pareto", storage=hf.optimize.storage_url())
    study = Study(ostudy, Objective(maximize=["f1"], minimize=["latency_ms"]), "ui-train")
    assert sorted(t.number for t in view.pareto()) == sorted(
        t.number for t in study.pareto_front()
    )
    assert view.directions == ["maximize", "minimize"] and not view.live


def test_known_keys_answer_at_once_and_refresh_in_the_background(store_url: str) -> None:
    import time

    from hyperflow.ui._listing import KnownKeys

    _fill(store_url, 1)
    store = get_store(store_url)
    keys = KnownKeys(store, ttl_s=0.0)
    assert keys.get()["metrics"] == ["m"]
    with hf.start_run("late", store=store_url) as run:
        run.log_metrics({"new": 1.0})
    assert keys.get()["metrics"] == ["m"]  # the keys at hand; a refresh started
    deadline = time.monotonic() + 30
    while keys.get()["metrics"] != ["m", "new"]:  # polling for the background refresh
        assert time.monotonic() < deadline, "the keys were not refreshed"
        time.sleep(0.05)


def test_the_app_warms_up_before_it_serves(store_url: str) -> None:
    from fastapi.testclient import TestClient

    _fill(store_url, 2)
    app = hf.ui.create_app(store=store_url)
    pages = app.state.hf_pages
    assert pages.keys._keys is None and not pages.env.cache
    with TestClient(app):  # startup, as uvicorn runs it before taking requests
        assert pages.keys._keys == {"metrics": ["m"], "params": ["i", "k"], "tags": []}
        assert set(pages.env.list_templates()) <= {k[1] for k in pages.env.cache}
