"""``hf.folds``: cross-validation as a map over folds, cached and pruned per fold."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import optuna
import pytest

import hyperflow as hf
from hyperflow.optimize import TrialState
from tests.optimize import pipelines as pl


def test_metrics_come_back_as_mean_std_and_folds() -> None:
    result = pl.cv_search(k=4).run(config={"cv.fold.evaluate.cv_fit.quality": 0.9}, cache=False)
    metrics = result["metrics"]
    per_fold = [0.9 - 0.01 * i for i in range(4)]
    assert metrics["acc.folds"] == pytest.approx(per_fold)
    assert metrics["acc"] == pytest.approx(statistics.fmean(per_fold))
    assert metrics["acc.std"] == pytest.approx(statistics.pstdev(per_fold))
    assert metrics["n_test"] == 10.0  # 40 rows, 4 folds


def test_an_objective_may_use_mean_minus_k_std() -> None:
    study = pl.cv_search(k=4).optimize(
        objective="acc - 2 * acc.std", n_trials=3, seed=0, cache=False, track=False
    )
    best = study.best
    assert best.value == pytest.approx(best.metrics["acc"] - 2 * best.metrics["acc.std"])


def test_folds_are_cached_one_by_one_and_k_changes_reuse_nothing_wrongly(tmp_path: Path) -> None:
    cfg = {"cv.fold.evaluate.cv_fit.quality": 0.7}
    pl.FITS.clear()
    first = pl.cv_search(k=4).run(config=cfg, cache=tmp_path, track=False)
    assert sorted(pl.FITS) == [(0.7, i, 4) for i in range(4)]
    pl.FITS.clear()
    again = pl.cv_search(k=4).run(config=cfg, cache=tmp_path, track=False)
    assert pl.FITS == [] and again["metrics"] == first["metrics"]  # every fold from the cache
    more = pl.cv_search(k=8).run(config=cfg, cache=tmp_path, track=False)
    assert sorted(pl.FITS) == [(0.7, i, 8) for i in range(8)]  # other folds: computed, not reused
    assert more["metrics"]["n_test"] == 5.0 and len(more["metrics"]["acc.folds"]) == 8


def test_a_bad_config_is_pruned_after_its_first_folds(tmp_path: Path) -> None:
    pl.FITS.clear()
    study = pl.cv_search(k=4, report="acc").optimize(
        objective="acc",
        n_trials=4,
        warm_start=[{"cv.fold.evaluate.cv_fit.quality": q} for q in (0.9, 0.8, 0.85, 0.1)],
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0),
        cache=tmp_path,
        track=False,
    )
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE] * 3 + [TrialState.PRUNED]
    assert [f for f in pl.FITS if f[0] == 0.1] == [(0.1, 0, 4)]  # stopped after fold 0
    assert study.trials[3].value == pytest.approx(0.1)  # its last reported fold score


SEEN: list[hf.Fold] = []


def seen(fold: hf.Fold) -> dict[str, float]:
    SEEN.append(fold)
    return {"n": float(len(fold.test_index))}


def groups(n: int = 40) -> list[int]:
    return [i // 5 for i in range(n)]


def _split(**options: Any) -> list[hf.Fold]:
    cv = hf.folds(hf.Pipeline([seen], name="seen"), x="rows", y="classes", **options)
    SEEN.clear()
    hf.Pipeline([pl.rows, pl.classes, groups, cv], name="splits").run(cache=False, track=False)
    return list(SEEN)


def test_stratified_grouped_and_time_series_folds() -> None:
    for fold in _split(k=4, stratify=True):
        assert sorted(fold.y_test) == [0] * 5 + [1] * 5  # class balance kept
    for fold in _split(k=4, group="groups"):
        train = {int(r) // 5 for r in fold.X_train}
        assert not train & {int(r) // 5 for r in fold.X_test}  # no group on both sides
    past = _split(k=3, time_series=True)
    assert len(past) == 3
    for fold in past:
        assert max(fold.train_index) < min(fold.test_index)  # trained on the past only


def test_an_evaluation_pipeline_without_a_fold_input_is_refused() -> None:
    with pytest.raises(hf.OptimizeError, match="must take an input named 'fold'"):
        hf.folds(pl.bowl_pipeline)
    with pytest.raises(hf.OptimizeError, match="k >= 2"):
        hf.folds(pl.cv_evaluate, k=1)
