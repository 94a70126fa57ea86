"""Single-flight: trials that start together and need one featurization compute it once."""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path

import pytest

import hyperflow as hf
from hyperflow.engine import DiskCache, single_flight
from tests.optimize import pipelines as pl


def _search(tmp_path: Path, *, n_jobs: int = 1, executor: Executor | None = None) -> hf.Study:
    (tmp_path / "meet").mkdir()
    return pl.shared_features.optimize(
        objective="score",
        sampler="grid",
        n_trials=None,
        n_jobs=n_jobs,
        executor=executor,
        inputs={"rendezvous": str(tmp_path / "meet"), "parties": 8},
        cache=tmp_path / "cache",
        track=False,
    )


def _featurized(tmp_path: Path) -> list[str]:
    return (tmp_path / "featurized.log").read_text(encoding="utf-8").split()


@pytest.mark.slow
def test_eight_trials_in_processes_featurize_once(tmp_path: Path) -> None:
    study = _search(tmp_path, n_jobs=8)
    assert [t.state for t in study.trials] == ["complete"] * 8
    assert len(_featurized(tmp_path)) == 1  # seven trials waited, then loaded its entry
    hits = [t.cache_hits["featurize"] for t in study.trials]
    assert sorted(hits) == [False] + [True] * 7


def test_eight_trials_on_threads_featurize_once(tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        study = _search(tmp_path, executor=pool, n_jobs=8)
    assert [t.state for t in study.trials] == ["complete"] * 8
    assert len(_featurized(tmp_path)) == 1


@pytest.mark.slow
def test_eight_trials_on_dask_workers_featurize_once(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=4, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        study = _search(tmp_path, executor=client.get_executor(), n_jobs=8)
    assert [t.state for t in study.trials] == ["complete"] * 8
    assert len(_featurized(tmp_path)) == 1


def test_a_failed_holder_leaves_the_key_to_the_next(tmp_path: Path) -> None:
    calls: list[int] = []

    def flaky(x: int = 1) -> int:
        calls.append(x)
        if len(calls) == 1:
            raise RuntimeError("first try fails")
        return x

    pipe = hf.Pipeline([flaky], name="flaky")
    cache = DiskCache(tmp_path)
    with single_flight():
        with pytest.raises(hf.NodeError):
            pipe.run(cache=cache, track=False)
        assert pipe.run(cache=cache, track=False)["flaky"] == 1  # the lock was released
        assert pipe.run(cache=cache, track=False).cache_hits["flaky"] is True
    assert len(calls) == 2
    locks = list(tmp_path.glob("*/.*.lock"))
    assert len(locks) == 1 and len(cache) == 1  # the lock file is not an entry
