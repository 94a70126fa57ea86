from __future__ import annotations

import concurrent.futures as cf

import optuna
import pytest

import hyperflow as hf
from hyperflow.optimize import suggest_config
from tests.optimize import pipelines as pl


def test_space_is_define_by_run_and_conditional() -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    seen_shift = seen_other = False
    for _ in range(30):
        trial = study.ask()
        cfg = suggest_config(trial, pl.search.space)
        assert next(iter(trial.params)) == "features"  # variant choice first
        if cfg["features"] == "shift":
            seen_shift = True
            assert "features.shift.by" in trial.params
        else:
            seen_other = True
            assert "features.shift.by" not in trial.params  # inactive: never suggested
        study.tell(trial, 0.0)
    assert seen_shift and seen_other


def test_finds_the_optimum_and_best_replays() -> None:
    study = pl.bowl_pipeline.optimize(
        objective=hf.Objective("loss", maximize=False),
        n_trials=60,
        sampler="tpe",
        seed=0,
        track=False,
    )
    best = study.best
    assert best.config["bowl.kind"] == "b"
    assert best.value is not None and best.value < 0.5
    assert len(study.trials) == 60 and all(t.state == "complete" for t in study.trials)
    replay = pl.bowl_pipeline.run(config=best.config, track=False)["bowl"]
    assert replay["loss"] == pytest.approx(best.value)
    assert best.metrics["loss"] == pytest.approx(best.value)
    df = study.trials_dataframe()
    assert len(df) == 60 and {"value", "config.bowl.x", "metrics.loss", "state"} <= set(df.columns)


def test_constraints_keep_infeasible_trials_from_best() -> None:
    objective = hf.Objective("score", constraints=["latency_ms <= 3"])
    study = pl.search.optimize(
        objective=objective, n_trials=25, sampler="random", seed=3, track=False
    )
    feasible = [t for t in study.trials if t.feasible]
    infeasible = [t for t in study.trials if t.state == "complete" and not t.feasible]
    assert feasible and infeasible
    assert study.best.metrics["latency_ms"] <= 3
    assert study.best.value == max(t.value for t in feasible if t.value is not None)


def test_multi_objective_pareto_front() -> None:
    objective = hf.Objective(maximize=["score"], minimize=["cost"])
    study = pl.search.optimize(
        objective=objective, n_trials=20, sampler="nsga2", seed=0, track=False
    )
    front = study.pareto_front()
    assert front
    done = [t for t in study.trials if t.values]
    for t in front:  # nobody dominates a front member
        for o in done:
            assert not (
                o.values[0] >= t.values[0]
                and o.values[1] <= t.values[1]
                and (o.values[0] > t.values[0] or o.values[1] < t.values[1])
            )
    with pytest.raises(hf.OptimizeError, match="pareto_front"):
        _ = study.best


def test_same_seed_same_configs() -> None:
    def configs(seed: int) -> list[dict[str, object]]:
        s = pl.search.optimize(
            objective="score", n_trials=12, sampler="tpe", seed=seed, track=False
        )
        return [t.config for t in s.trials]

    assert configs(7) == configs(7)
    assert configs(7) != configs(8)


def test_missing_metric_is_a_clear_error() -> None:
    with pytest.raises(
        hf.OptimizeError, match=r"uses 'f1'.*available metrics: cost, latency_ms, score"
    ):
        pl.search.optimize(objective="f1", n_trials=2, track=False)


def test_failed_trials_are_recorded_with_their_reason() -> None:
    def metrics(p: float = 1.0) -> dict[str, float]:
        raise RuntimeError("sensor offline")

    study = hf.Pipeline([metrics], name="broken").optimize(
        objective="score", n_trials=3, track=False
    )
    assert [t.state for t in study.trials] == ["fail"] * 3
    assert "sensor offline" in (study.trials[0].error or "")
    with pytest.raises(hf.OptimizeError, match="no feasible completed trial"):
        _ = study.best


def test_grid_sampler_covers_every_configuration() -> None:
    study = pl.search.optimize(
        objective="score",
        n_trials=None,
        sampler="grid",
        fixed={"features.shift.by": 1.0},
        track=False,
    )
    configs = {(t.config["features"], t.config["model.setting"]) for t in study.trials}
    assert len(study.trials) == 30 and len(configs) == 30


def test_unknown_sampler_and_bad_metrics_output() -> None:
    with pytest.raises(hf.OptimizeError, match="unknown sampler 'bayes'"):
        pl.search.optimize(objective="score", sampler="bayes", track=False)
    with pytest.raises(hf.OptimizeError, match="no output 'scores'"):
        pl.search.optimize(objective="score", metrics="scores", track=False)


def test_thread_executor_runs_trials_concurrently() -> None:
    # each trial waits at a 4-party barrier: it completes only if 4 trials run at once
    pl.MEETING.reset()
    with cf.ThreadPoolExecutor(4) as pool:
        study = pl.meeting.optimize(
            objective="value", n_trials=8, executor=pool, n_jobs=4, seed=0, track=False
        )
    assert len(study.trials) == 8 and len({t.number for t in study.trials}) == 8
    assert [t.state for t in study.trials] == ["complete"] * 8, study.trials[0].error


def test_an_executor_without_n_jobs_gets_trials_in_flight() -> None:
    # default: as many trials in flight as this machine has cores (at least 2 here)
    if _cores() < 2:
        pytest.skip("needs 2 cores")
    pl.MEETING2.reset()
    with cf.ThreadPoolExecutor(2) as pool:
        study = pl.meeting2.optimize(objective="value", n_trials=4, executor=pool, track=False)
    assert [t.state for t in study.trials] == ["complete"] * 4, study.trials[0].error


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


@pytest.mark.parametrize("user_set", [False, True])
def test_trial_processes_share_the_cores_not_oversubscribe_them(
    user_set: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # each of n_jobs processes running BLAS on every core spins them against each other
    if user_set:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    study = pl.blas.optimize(
        objective="threads", n_trials=2, n_jobs=2, sampler="grid", seed=0, track=False
    )
    threads = {t.metrics["threads"] for t in study.trials}
    assert threads == ({2.0} if user_set else {float(max(1, _cores() // 2))})


def test_progress_bar_in_terminals_quiet_otherwise(capsys: pytest.CaptureFixture[str]) -> None:
    pl.bowl_pipeline.optimize(objective="loss", n_trials=3, seed=0, track=False)
    assert capsys.readouterr().err == ""  # not a terminal: quiet
    pl.bowl_pipeline.optimize(objective="loss", n_trials=3, seed=0, track=False, progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err and "best" in err and "study bowl" in err


def test_study_plots_render_offline() -> None:
    study = pl.search.optimize(
        objective=hf.Objective("score", constraints=["latency_ms <= 3"]),
        n_trials=15,
        sampler="random",
        seed=2,
        track=False,
    )
    history = study.plot_history()
    feasible = sum(t.feasible for t in study.trials)
    assert 0 < feasible < 15
    assert (
        history.svg.count('class="hf-trial"') == feasible
    )  # infeasible trials are not plotted as values
    assert "http" not in history.svg.replace("http://www.w3.org/2000/svg", "")
    assert 'data-param="features"' in study.plot_importance().svg
    parallel = study.plot_parallel()
    assert parallel.svg.startswith("<svg") and "model.setting" in parallel.svg


def test_an_objective_error_leaves_no_parallel_trial_running() -> None:
    url = "sqlite:///parallel.db"
    with (
        cf.ThreadPoolExecutor(2) as pool,
        pytest.raises(hf.OptimizeError, match="uses 'valu'"),
    ):
        pl.slow.optimize(
            objective="valu",
            n_trials=4,
            executor=pool,
            n_jobs=2,
            study="p",
            storage=url,
            track=False,
            inputs={"pause": 0.05},
        )
    states = [t.state for t in optuna.load_study(study_name="p", storage=url).trials]
    assert states == [optuna.trial.TrialState.FAIL] * 2  # both started trials ended
