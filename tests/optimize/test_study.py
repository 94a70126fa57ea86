"""What a study reports: trial states, failed trials' runs, pruning, summaries, best."""

from __future__ import annotations

from typing import Annotated

import pytest

import hyperflow as hf
from hyperflow.optimize import TrialState
from tests.optimize import pipelines as pl


def _broken_pipeline() -> hf.Pipeline:
    def metrics(p: float = 1.0) -> dict[str, float]:
        raise RuntimeError("sensor offline")

    return hf.Pipeline([metrics], name="broken")


def test_a_failed_trial_points_to_its_tracked_run(store_url: str) -> None:
    study = _broken_pipeline().optimize(objective="score", n_trials=2, track=store_url)
    runs = hf.runs.search(pipeline="broken", store=store_url)
    assert len(runs) == 2 and set(runs["status"]) == {"failed"}
    assert {t.run_id for t in study.trials} == set(runs["run_id"])
    assert all(
        t.state == TrialState.FAIL and "sensor offline" in (t.error or "") for t in study.trials
    )


def test_states_are_an_enum_that_still_compares_as_text() -> None:
    study = pl.bowl_pipeline.optimize(objective="loss", n_trials=2, seed=0, track=False)
    state = study.trials[0].state
    assert isinstance(state, TrialState) and state is TrialState.COMPLETE
    assert state == "complete" and f"{state}" == "complete"
    assert list(study.trials_dataframe()["state"]) == ["complete", "complete"]


def test_only_optunas_trial_pruned_prunes() -> None:
    study = pl.judged_pipeline.optimize(
        objective="score", n_trials=4, sampler="grid", inputs={"how": "prune"}, track=False
    )
    assert {t.config["judged.x"]: t.state for t in study.trials}[0] == TrialState.PRUNED
    study = pl.judged_pipeline.optimize(
        objective="score", n_trials=4, sampler="grid", inputs={"how": "fail"}, track=False
    )
    by_x = {t.config["judged.x"]: t for t in study.trials}
    assert by_x[0].state == TrialState.FAIL  # a user's class named TrialPruned is a failure
    assert "a user's exception" in (by_x[0].error or "")


def test_summary_counts_states_feasibility_and_what_this_call_added(tmp_path: object) -> None:
    objective = hf.Objective("score", constraints=["score <= 1"])
    first = pl.judged_pipeline.optimize(
        objective=objective, n_trials=4, sampler="grid", study="s", track=False
    )
    summary = first.summary()
    assert summary.total == 4 and (summary.earlier, summary.added) == (0, 4)
    assert summary.by_state[TrialState.FAIL] == 1 and summary.by_state[TrialState.COMPLETE] == 3
    assert (summary.feasible, summary.infeasible) == (1, 2)
    assert summary.by_state[TrialState.RUNNING] == 0  # every state listed
    again = pl.judged_pipeline.optimize(
        objective=objective, n_trials=2, sampler="random", seed=1, study="s", track=False
    )
    assert (again.summary().earlier, again.summary().added, again.summary().total) == (4, 2, 6)


def test_an_impossible_constraint_says_no_trial_satisfied_it() -> None:
    objective = hf.Objective("score", constraints=["score >= 2000"])
    study = pl.tiny_pipeline.optimize(objective=objective, n_trials=3, seed=0, track=False)
    assert study.summary().feasible == 0 and study.summary().infeasible == 3
    with pytest.raises(
        hf.OptimizeError,
        match=r"no feasible completed trial: none of its 3 completed trial\(s\) satisfied "
        r"the constraints 'score >= 2000'",
    ):
        _ = study.best


def test_an_unknown_metric_in_a_constraint_names_the_metrics_and_the_closest() -> None:
    objective = hf.Objective("score", constraints=["latncy_ms <= 5"])
    with pytest.raises(
        hf.OptimizeError,
        match=r"constraint 'latncy_ms <= 5' uses 'latncy_ms'.*available metrics: cost, "
        r"latency_ms, score; did you mean 'latency_ms'\?",
    ):
        pl.search.optimize(objective=objective, n_trials=3, track=False)


def test_the_trial_that_hit_an_unknown_metric_is_not_left_running(tmp_path: object) -> None:
    url = "sqlite:///unknown.db"
    with pytest.raises(hf.OptimizeError, match="did you mean 'score'"):
        pl.search.optimize(objective="scor", n_trials=3, study="u", storage=url, track=False)
    import optuna

    trials = optuna.load_study(study_name="u", storage=url).trials
    assert [t.state for t in trials] == [optuna.trial.TrialState.FAIL]


def test_minimize_true_minimizes_a_single_expression() -> None:
    study = pl.tiny_pipeline.optimize(
        objective=hf.Objective("score", minimize=True), n_trials=None, sampler="grid"
    )
    assert study.objective.directions == ["minimize"] and study.best.value == 0.0
    with pytest.raises(hf.OptimizeError, match="contradict"):
        hf.Objective("score", maximize=True, minimize=True)


@pytest.mark.parametrize("method", ["fanova", "ped_anova"])
def test_importance_names_the_knob_that_matters(method: str) -> None:
    def steep(
        x: Annotated[float, hf.Float(-5.0, 5.0)] = 0.0,
        noise: Annotated[float, hf.Float(0.0, 1.0)] = 0.5,
    ) -> dict[str, float]:
        return {"score": -(x**2) + 0.001 * noise}

    study = hf.Pipeline([steep], name="steep").optimize(
        objective="score", n_trials=40, sampler="random", seed=0, track=False
    )
    importance = study.importance(method=method)
    assert next(iter(importance)) == "steep.x" and set(importance) == {"steep.x", "steep.noise"}
    assert importance["steep.x"] > importance["steep.noise"]


def test_importance_needs_complete_trials_and_a_known_method() -> None:
    study = pl.bowl_pipeline.optimize(objective="loss", n_trials=1, track=False)
    with pytest.raises(hf.OptimizeError, match="needs at least 2"):
        study.importance()
    with pytest.raises(hf.OptimizeError, match="unknown importance method 'anova'"):
        study.importance(method="anova")
