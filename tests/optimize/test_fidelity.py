"""Multi-fidelity: a pipeline input raised rung by rung while the pruner keeps a trial."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import hyperflow as hf
from hyperflow.optimize import Expression, Fidelity, TrialState
from tests.optimize import pipelines as pl

RUNGS = Fidelity("n_rows", [25, 50, 100, 200])


def test_trials_climb_rungs_only_while_the_pruner_keeps_them(tmp_path: Path) -> None:
    pl.RUNGS.clear()
    pl.PREPS.clear()
    study = pl.fidelity_pipeline.optimize(
        objective="score",
        n_trials=16,
        sampler="random",
        seed=0,
        fidelity=RUNGS,
        cache=tmp_path,
        track=False,
    )
    by_quality: dict[float, list[int]] = {}
    for quality, rows in pl.RUNGS:
        by_quality.setdefault(quality, []).append(rows)
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert pruned and complete
    for t in complete:  # every rung, in order, then its full-fidelity metrics
        assert by_quality[t.config["fit_rows.quality"]] == [25, 50, 100, 200]
        assert sorted(study.optuna.trials[t.number].intermediate_values) == [25, 50, 100]
    for t in pruned:  # stopped below the top rung
        climbed = by_quality[t.config["fit_rows.quality"]]
        assert climbed == [25, 50, 100][: len(climbed)]
    assert sum(len(v) for v in by_quality.values()) < 4 * 16  # compute was saved
    assert pl.PREPS == [8]  # the part the fidelity does not touch: computed once, cached


def test_fidelity_needs_increasing_steps_and_expressions_travel_as_text() -> None:
    with pytest.raises(hf.OptimizeError, match="two or more increasing values"):
        Fidelity("n_rows", [100, 50])
    with pytest.raises(hf.OptimizeError, match="each >= 1"):
        Fidelity("fraction", [0.1, 0.5, 1.0])
    expr = pickle.loads(pickle.dumps(Expression("acc - 2 * acc.std")))
    assert expr({"acc": 1.0, "acc.std": 0.25}) == 0.5


@pytest.mark.slow
def test_fidelity_in_worker_processes(tmp_path: Path) -> None:
    study = pl.fidelity_pipeline.optimize(
        objective="score",
        n_trials=12,
        sampler="random",
        seed=1,
        n_jobs=2,
        fidelity=RUNGS,
        pruner="hyperband",
        cache=tmp_path,
        track=False,
    )
    states = {t.state for t in study.trials}
    assert TrialState.FAIL not in states and TrialState.COMPLETE in states
