"""Pruning and cross-validation on scikit-learn's digits.

1. A 60-trial TPE search of ``MLPClassifier`` trained with ``partial_fit``, one
   ``hf.report(validation accuracy, epoch)`` per epoch: Hyperband vs no pruning.
   Target: Hyperband <= 0.5x the wall time, best held-out (test) accuracy of the
   best validation trial within 0.5 percentage points.
2. 5-fold cross-validation of ``LogisticRegression`` over a grid of C through
   ``hf.folds`` vs a ``sklearn.model_selection.cross_validate`` loop over the same
   configs; then a second search over an overlapping grid (8 of 10 values shared)
   with the cache on. Target: the second search <= 0.3x the first.

Run: ``python benchmarks/bench_pruning.py`` (figures vary with the machine's load).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from typing import Annotated, Any

import numpy as np

import hyperflow as hf

EPOCHS = 20
TRIALS = 60


def _split() -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)
    xtr, xva, ytr, yva = train_test_split(xtr, ytr, test_size=0.25, stratify=ytr, random_state=0)
    return xtr, xva, xte, ytr, yva, yte


XTR, XVA, XTE, YTR, YVA, YTE = _split()


# -- 1. an iterative model, reported per epoch ------------------------------------------------
def mlp(
    hidden: Annotated[int, hf.Choice(16, 32, 64)] = 32,
    alpha: Annotated[float, hf.Float(1e-6, 1e-1, log=True)] = 1e-4,
    lr: Annotated[float, hf.Float(1e-4, 3e-1, log=True)] = 1e-3,
    batch: Annotated[int, hf.Choice(32, 128)] = 32,
) -> dict[str, float]:
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        (hidden,), alpha=alpha, learning_rate_init=lr, batch_size=batch, random_state=0
    )
    classes = np.unique(YTR)
    val = 0.0
    for epoch in range(EPOCHS):
        model.partial_fit(XTR, YTR, classes=classes)
        val = float(model.score(XVA, YVA))
        hf.report(val, epoch)
    return {"val_accuracy": val, "test_accuracy": float(model.score(XTE, YTE))}


search = hf.Pipeline([mlp], name="mlp-epochs")


def pruning(pruner: str | None) -> tuple[float, float, float, int]:
    """(wall s, best validation accuracy, its test accuracy, pruned trials)."""
    t0 = time.perf_counter()
    study = search.optimize(
        objective="val_accuracy",
        n_trials=TRIALS,
        seed=0,
        pruner=pruner,
        cache=False,
        track=False,
        progress=False,
    )
    wall = time.perf_counter() - t0
    best = study.best
    pruned = study.summary().by_state["pruned"]
    return wall, best.metrics["val_accuracy"], best.metrics["test_accuracy"], pruned


# -- 2. cross-validation as data vs a cross_validate loop ---------------------------------
def X() -> np.ndarray:
    return np.vstack([XTR, XVA])


def y() -> np.ndarray:
    return np.concatenate([YTR, YVA])


def fit(fold: hf.Fold, C: Annotated[float, hf.Float(1e-3, 1e2, log=True)] = 1.0) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=300).fit(fold.X_train, fold.y_train)


def metrics(fit: Any, fold: hf.Fold) -> dict[str, float]:
    return {"accuracy": float(fit.score(fold.X_test, fold.y_test))}


cv_search = hf.Pipeline(
    [X, y, hf.folds(hf.Pipeline([fit, metrics], name="evaluate"), k=5, stratify=True)],
    name="cv-digits",
)
FIRST = [float(c) for c in np.logspace(-3, 2, 10)]
SECOND = [*FIRST[1:-1], 0.5, 20.0]  # 8 shared, 2 new


def with_folds(grid: list[float], cache: str) -> tuple[float, float]:
    t0 = time.perf_counter()
    study = cv_search.optimize(
        objective="accuracy",
        sampler="grid",
        grid={"cv.fold.evaluate.fit.C": grid},
        n_trials=None,
        cache=cache,
        track=False,
        progress=False,
    )
    return time.perf_counter() - t0, float(study.best.metrics["accuracy"])


def sklearn_loop(grid: list[float]) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_validate

    t0 = time.perf_counter()
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    best = 0.0
    for c in grid:
        scores = cross_validate(LogisticRegression(C=c, max_iter=300), X(), y(), cv=cv)
        best = max(best, float(np.mean(scores["test_score"])))
    return time.perf_counter() - t0, best


def main() -> None:
    print(f"1. {TRIALS}-trial MLPClassifier search on digits, {EPOCHS} epochs, one report each")
    base = pruning(None)
    band = pruning("hyperband")
    for label, (wall, val, test, pruned) in (("no pruning", base), ("Hyperband", band)):
        print(
            f"  {label:<11} {wall:7.2f} s   best val {val:.4f}   its test {test:.4f}   "
            f"pruned {pruned}"
        )
    gap = 100 * (base[2] - band[2])
    print(
        f"  ratio {band[0] / base[0]:.3f} (target <= 0.5); test accuracy gap {gap:+.2f} pp "
        "(target within 0.5 pp)"
    )
    work = tempfile.mkdtemp(prefix="hf-bench-prune-")
    try:
        cache = os.path.join(work, "cache")
        loop_s, loop_best = sklearn_loop(FIRST)
        first_s, first_best = with_folds(FIRST, cache)
        second_s, _ = with_folds(SECOND, cache)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("2. 5-fold CV of LogisticRegression over 10 values of C on digits")
    print(f"  cross_validate loop   {loop_s:7.2f} s   best mean accuracy {loop_best:.4f}")
    print(f"  hf.folds, first       {first_s:7.2f} s   best mean accuracy {first_best:.4f}")
    print(f"  hf.folds, overlapping {second_s:7.2f} s   (8 of 10 configs cached)")
    print(
        f"  hf.folds / loop = {first_s / loop_s:.3f}; second / first = "
        f"{second_s / first_s:.3f} (target <= 0.3)"
    )


if __name__ == "__main__":
    main()
