"""``hf.report`` and pruners: unpromising trials stop early, here and in worker processes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import optuna
import pytest

import hyperflow as hf
from hyperflow.optimize import TrialState
from tests.optimize import pipelines as pl


def _median() -> optuna.pruners.BasePruner:
    return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)


def test_report_outside_a_search_does_nothing() -> None:
    pl.EPOCHS_RUN.clear()
    result = pl.epochs_pipeline.run(config={"epochs.quality": 0.25}, cache=False, track=False)
    assert result["epochs"] == {"score": 0.25} and pl.EPOCHS_RUN[0.25] == 10


def test_a_pruned_trial_stops_at_once_with_its_last_reported_value(tmp_path: Path) -> None:
    pl.EPOCHS_RUN.clear()
    study = pl.epochs_pipeline.optimize(
        objective="score", n_trials=16, seed=1, pruner=_median(), cache=tmp_path, track=False
    )
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert pruned and complete
    for t in pruned:
        frozen = study.optuna.trials[t.number]
        last = max(frozen.intermediate_values)
        assert pl.EPOCHS_RUN[t.config["epochs.quality"]] == last + 1 < 10  # stopped there
        assert t.value == frozen.intermediate_values[last]  # kept with its last value
        assert "pruned at step" in (t.error or "")
    for t in complete:
        assert pl.EPOCHS_RUN[t.config["epochs.quality"]] == 10
    assert study.summary().by_state[TrialState.PRUNED] == len(pruned)
    # the pruned node's partial work was not cached; the completed one was
    again = pl.epochs_pipeline.run(config=pruned[0].config, cache=tmp_path, track=False)
    assert again.cache_hits["epochs"] is False
    done = pl.epochs_pipeline.run(config=complete[0].config, cache=tmp_path, track=False)
    assert done.cache_hits["epochs"] is True


def test_without_a_pruner_reports_are_kept_and_nothing_is_pruned() -> None:
    study = pl.epochs_pipeline.optimize(objective="score", n_trials=6, seed=1, track=False)
    assert {t.state for t in study.trials} == {TrialState.COMPLETE}
    assert all(len(t.intermediate_values) == 10 for t in study.optuna.trials)


def test_named_pruners_and_a_misspelled_one() -> None:
    for name in ("median", "hyperband", "successive_halving"):
        study = pl.epochs_pipeline.optimize(
            objective="score", n_trials=2, seed=0, pruner=name, track=False
        )
        assert len(study.trials) == 2
    with pytest.raises(hf.OptimizeError, match="did you mean 'hyperband'"):
        pl.epochs_pipeline.optimize(objective="score", n_trials=1, pruner="hyperbnd", track=False)


@pytest.mark.slow
def test_reports_travel_back_from_worker_processes() -> None:
    study = pl.epochs_pipeline.optimize(
        objective="score", n_trials=14, seed=1, pruner=_median(), n_jobs=2, track=False
    )
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    assert pruned, [t.state for t in study.trials]
    last = {t.number: max(study.optuna.trials[t.number].intermediate_values) for t in pruned}
    # the pruner may also stop a trial at its last report (step 9); most stop earlier
    assert min(last.values()) < 9, last
    for t in pruned:
        frozen = study.optuna.trials[t.number]
        assert t.value == frozen.intermediate_values[last[t.number]]
    for t in study.trials:
        if t.state == TrialState.COMPLETE:
            assert len(study.optuna.trials[t.number].intermediate_values) == 10


@pytest.mark.slow
def test_reports_travel_back_from_dask_workers() -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        study = pl.epochs_pipeline.optimize(
            objective="score",
            n_trials=10,
            seed=1,
            pruner=_median(),
            executor=client.get_executor(),
            n_jobs=2,
            track=False,
        )
    states = [t.state for t in study.trials]
    assert TrialState.PRUNED in states and TrialState.FAIL not in states, states
    assert all(t.intermediate_values for t in study.optuna.trials)


def test_report_from_a_pytorch_training_loop() -> None:
    torch = pytest.importorskip("torch")

    def train(lr: Annotated[float, hf.Float(1e-3, 1.0, log=True)] = 0.1) -> dict[str, float]:
        torch.manual_seed(0)
        x = torch.linspace(-1, 1, 32).unsqueeze(1)
        y = 3 * x
        model = torch.nn.Linear(1, 1)
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        loss = torch.tensor(0.0)
        for epoch in range(5):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            hf.report(loss.item(), epoch)  # a tensor's value, from the loop
        return {"loss": float(loss.item())}

    study = hf.Pipeline([train], name="torch-loop").optimize(
        objective=hf.Objective("loss", maximize=False), n_trials=6, seed=0, pruner="median",
        track=False, cache=False,
    )
    assert all(t.intermediate_values for t in study.optuna.trials)
    assert {t.state for t in study.trials} <= {TrialState.COMPLETE, TrialState.PRUNED}


def _check_pruned_runs(study: hf.optimize.Study, url: str) -> None:
    """Each pruned trial's run ended ``pruned`` with ``metrics.report`` = its last value."""
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    assert pruned, [t.state for t in study.trials]
    for t in study.trials:
        run = hf.runs.get(str(t.run_id), store=url)
        if t.state == TrialState.COMPLETE:
            assert run.status == "finished"
            continue
        frozen = study.optuna.trials[t.number]
        step = max(frozen.intermediate_values)
        assert run.status == "pruned" and "pruned at step" in (run.error or "")
        assert run.metrics["report"] == t.value == frozen.intermediate_values[step]
        assert run.tags["hyperflow.pruned_step"] == str(step)
    found = hf.runs.search(where="status = 'pruned'", store=url)
    assert sorted(found["run_id"]) == sorted(str(t.run_id) for t in pruned)
    assert list(found["metrics.report"].notna()) == [True] * len(pruned)


def test_pruned_trials_are_tracked_as_pruned_with_their_last_report(store_url: str) -> None:
    url = store_url  # SQLite and PostgreSQL
    study = pl.epochs_pipeline.optimize(
        objective="score", n_trials=10, seed=1, pruner=_median(), cache=False, track=url
    )
    _check_pruned_runs(study, url)


@pytest.mark.slow
def test_pruned_trials_in_worker_processes_are_tracked_as_pruned(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    study = pl.epochs_pipeline.optimize(
        objective="score", n_trials=12, seed=1, pruner=_median(), n_jobs=2, cache=False,
        track=url,
    )
    _check_pruned_runs(study, url)


def test_an_optuna_pruning_inside_start_run_ends_it_pruned(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    with pytest.raises(optuna.TrialPruned), hf.start_run("manual", store=url) as run:
        raise optuna.TrialPruned("not promising")
    assert hf.runs.get(run.id, store=url).status == "pruned"
    with pytest.raises(pl.TrialPruned), hf.start_run("manual", store=url) as run:
        raise pl.TrialPruned("a user's class of that name is a failure")
    assert hf.runs.get(run.id, store=url).status == "failed"
