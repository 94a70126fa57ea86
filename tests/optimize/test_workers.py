"""Warm trial workers: the process pool outlives a search and is reused only when safe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import hyperflow as hf
from hyperflow.optimize._workers import shutdown_pools
from tests.optimize import pipelines as pl

pytestmark = pytest.mark.slow  # starts trial processes


@pytest.fixture(autouse=True)
def _no_pool_left() -> Iterator[None]:
    shutdown_pools()
    yield
    shutdown_pools()


def _pids(pipeline: hf.Pipeline = pl.tiny_pipeline, n: int = 4) -> set[int]:
    study = pipeline.optimize(
        objective="score", n_trials=n, seed=0, n_jobs=2, track=False, cache=False
    )
    return {int(t.user_attrs["hf_worker_pid"]) for t in study.optuna.trials}


def test_a_second_search_runs_on_the_warm_workers_of_the_first() -> None:
    first = _pids()
    assert _pids() <= first  # no new process started


def test_a_changed_folder_or_node_code_starts_fresh_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _pids()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # defaults resolve from the folder
    moved = _pids()
    assert not moved & first
    changed = hf.Pipeline([hf.node(version="2")(pl.tiny)], name="tiny")  # same function
    assert not _pids(changed) & moved


def test_no_warm_workers_when_the_idle_time_is_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPERFLOW_POOL_IDLE_S", "0")
    first = _pids()
    assert not _pids() & first
