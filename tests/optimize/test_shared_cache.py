"""Trials share the content-addressed cache, and every trial is a tracked run."""

from __future__ import annotations

from pathlib import Path

import pytest

import hyperflow as hf
from tests.optimize import pipelines as pl


def test_featurization_runs_once_per_variant_in_a_30_trial_grid() -> None:
    study = pl.search.optimize(
        objective="score",
        n_trials=None,
        sampler="grid",
        fixed={"features.shift.by": 1.0},
        track=False,
    )
    assert len(study.trials) == 30
    executed = [
        key
        for t in study.trials
        for key, hit in t.cache_hits.items()
        if key.startswith("features.") and not hit
    ]
    assert sorted(executed) == ["features.raw", "features.shift", "features.square"]  # 3 of 30
    assert sum(not t.cache_hits["data"] for t in study.trials) == 1


@pytest.mark.slow
def test_parallel_trials_are_all_tracked_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hf.db'}"
    study = pl.slow.optimize(
        objective="value",
        n_trials=6,
        n_jobs=2,
        seed=0,
        study="tracked",
        storage=url,
        track=url,
        inputs={"pause": 0.05},
    )
    runs = hf.runs.search(pipeline="slow", store=url)
    assert len(runs) == 6
    assert set(runs["run_id"]) == {t.run_id for t in study.trials}
    assert set(runs["tags.hyperflow.study"]) == {"tracked"}
    assert sorted(runs["tags.hyperflow.trial"].astype(int)) == list(range(6))
