"""Any Optuna sampler instance drives a study; samplers that exhaust their space end it."""

from __future__ import annotations

import optuna
import pytest

import hyperflow as hf
from tests.optimize import pipelines as pl

GRID = {"tiny.kind": ["a", "b"], "tiny.n": [0, 1, 2]}


def test_an_optuna_grid_sampler_instance_ends_cleanly_when_the_grid_is_exhausted() -> None:
    study = pl.tiny_pipeline.optimize(
        objective="score", n_trials=20, sampler=optuna.samplers.GridSampler(GRID, seed=0)
    )
    configs = {(t.config["tiny.kind"], t.config["tiny.n"]) for t in study.trials}
    assert len(study.trials) == 6 and len(configs) == 6  # every point once, then it stopped
    assert all(t.state == "complete" for t in study.trials)
    assert study.best.config == {"tiny.kind": "b", "tiny.n": 2}


def test_an_exhausted_grid_ends_cleanly_with_trials_in_parallel() -> None:
    import concurrent.futures as cf

    with cf.ThreadPoolExecutor(3) as pool:
        study = pl.tiny_pipeline.optimize(
            objective="score",
            n_trials=20,
            sampler=optuna.samplers.GridSampler(GRID, seed=0),
            executor=pool,
            n_jobs=3,
        )
    done = {(t.config["tiny.kind"], t.config["tiny.n"]) for t in study.trials}
    assert len(done) == 6 and 6 <= len(study.trials) < 20
    assert all(t.state == "complete" for t in study.trials)  # none left running


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_brute_force_sampler_covers_the_space_then_stops() -> None:
    study = pl.tiny_pipeline.optimize(
        objective="score", n_trials=50, sampler=optuna.samplers.BruteForceSampler(seed=0)
    )
    configs = {(t.config["tiny.kind"], t.config["tiny.n"]) for t in study.trials}
    assert len(configs) == 6 and len(study.trials) == 6
    assert study.best.value == 12.0


def test_builtin_grid_stops_at_the_end_of_the_grid() -> None:
    study = pl.tiny_pipeline.optimize(objective="score", n_trials=20, sampler="grid", seed=0)
    assert len(study.trials) == 6
    assert study.summary().added == 6


def test_a_resumed_grid_study_runs_only_what_is_left(tmp_path: object) -> None:
    first = pl.tiny_pipeline.optimize(
        objective="score", n_trials=4, sampler="grid", seed=0, study="g"
    )
    assert len(first.trials) == 4
    again = pl.tiny_pipeline.optimize(
        objective="score", n_trials=10, sampler="grid", seed=0, study="g"
    )
    configs = {(t.config["tiny.kind"], t.config["tiny.n"]) for t in again.trials}
    assert len(configs) == 6 and len(again.trials) == 6
    summary = again.summary()
    assert (summary.earlier, summary.added) == (4, 2)


def test_a_sampler_instance_keeps_its_constraints_out_of_best() -> None:
    objective = hf.Objective("score", constraints=["score <= 5"])
    study = pl.tiny_pipeline.optimize(
        objective=objective, n_trials=6, sampler=optuna.samplers.GridSampler(GRID, seed=0)
    )
    assert study.best.value == 2.0
