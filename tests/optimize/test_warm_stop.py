"""Warm starts (earlier configs first) and stop rules (a search that ends early says why)."""

from __future__ import annotations

from pathlib import Path

import pytest

import hyperflow as hf
from hyperflow.optimize import WARM_TOP, StopWhen
from tests.optimize import pipelines as pl

BEST = {"bowl.x": 2.0, "bowl.y": -1.0, "bowl.kind": "b"}
ALL_FIXED = {"bowl.x": 1.0, "bowl.y": 0.0, "bowl.kind": "b"}  # every trial: loss 2


def _bowl(**options: object) -> hf.Study:
    return pl.bowl_pipeline.optimize(
        objective=hf.Objective("loss", maximize=False), track=False, **options
    )


def test_no_improvement_in_n_trials_ends_the_search() -> None:
    study = _bowl(n_trials=40, fixed=ALL_FIXED, stop_when={"no_improvement": 3})
    assert len(study.trials) == 4  # the first sets the best, three more do not beat it
    assert study.stop_reason is not None and "no improvement in 3 trials" in study.stop_reason
    assert study.optuna.user_attrs["hf_stop_reason"] == study.stop_reason


def test_reaching_the_objective_ends_the_search() -> None:
    study = _bowl(n_trials=40, warm_start=[BEST], stop_when=StopWhen(reached=0.01))
    assert len(study.trials) == 1 and study.best.value == 0.0
    assert "objective reached 0.01" in (study.stop_reason or "")


def test_a_cost_budget_ends_the_search() -> None:
    study = _bowl(n_trials=40, fixed=ALL_FIXED, stop_when=StopWhen(cost=("x", 2.5)))
    assert len(study.trials) == 3 and "cost budget spent: x" in (study.stop_reason or "")


def test_a_time_budget_ends_the_search() -> None:
    study = pl.slow.optimize(
        objective="value",
        n_trials=40,
        inputs={"pause": 0.3},
        stop_when=StopWhen(seconds=0.2),
        track=False,
    )
    assert len(study.trials) == 1 and "time budget of 0.2 s" in (study.stop_reason or "")


def test_a_search_that_runs_all_its_trials_has_no_stop_reason() -> None:
    study = _bowl(n_trials=3, seed=0, stop_when={"no_improvement": 10})
    assert len(study.trials) == 3 and study.stop_reason is None


def test_bad_stop_rules_are_refused_with_a_hint() -> None:
    with pytest.raises(hf.OptimizeError, match="did you mean 'no_improvement'"):
        _bowl(n_trials=1, stop_when={"no_improvment": 3})
    with pytest.raises(hf.OptimizeError, match=">= 1"):
        StopWhen(no_improvement=0)
    with pytest.raises(hf.OptimizeError, match="single objective"):
        pl.search.optimize(
            objective=hf.Objective(maximize=["score"], minimize=["cost"]), stop_when={"reached": 1.0}, track=False
        )


def test_warm_start_configs_run_first() -> None:
    study = _bowl(n_trials=2, seed=0, warm_start=[BEST, {**BEST, "bowl.kind": "a"}])
    assert [t.config for t in study.trials] == [BEST, {**BEST, "bowl.kind": "a"}]
    assert [t.value for t in study.trials] == [0.0, 1.0]


def test_warm_start_from_an_earlier_study_queues_its_best(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hf.db'}"
    first = _bowl(n_trials=12, seed=3, study="first", storage=url)
    best = sorted((t for t in first.trials), key=lambda t: t.value or 0.0)[:WARM_TOP]
    second = _bowl(n_trials=WARM_TOP, seed=9, study="second", storage=url, warm_start="first")
    assert [t.config for t in second.trials] == [t.config for t in best]
    assert second.best.value == first.best.value
    with pytest.raises(hf.OptimizeError, match="warm_start study 'nope' is not in the storage"):
        _bowl(n_trials=1, study="third", storage=url, warm_start="nope")


def test_warm_start_from_tracked_runs(store_url: str) -> None:
    first = pl.bowl_pipeline.optimize(
        objective=hf.Objective("loss", maximize=False), n_trials=4, seed=1, track=store_url
    )
    run_id = first.best.run_id
    assert run_id is not None
    again = pl.bowl_pipeline.optimize(
        objective=hf.Objective("loss", maximize=False),
        n_trials=1,
        seed=7,
        warm_start=[run_id],
        track=store_url,
    )
    assert again.trials[0].config == first.best.config
