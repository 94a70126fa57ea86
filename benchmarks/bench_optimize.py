"""30-trial grid sweep on scikit-learn's digits: a naive Optuna loop vs hyperflow.

3 featurization variants (PolynomialFeatures(2) + StandardScaler, then
SelectKBest(128), PCA(128), or PCA(256) + SelectKBest(128)) x 10 model
settings (LogisticRegression C in 7 values, RandomForest n_estimators in 3),
both through Optuna's GridSampler. The naive objective recomputes everything
per trial; hyperflow shares the cache across trials and runs 2 at once.
Target: hyperflow total <= 0.4x naive, same best score.

Run: ``python benchmarks/bench_optimize.py``
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hyperflow as hf

SETTINGS = [f"lr-{c}" for c in (0.01, 0.03, 0.1, 0.3, 1, 3, 10)] + [
    f"rf-{n}" for n in (25, 50, 100)
]
FEATURES = ["kbest", "pca", "pca_kbest"]


@dataclass(frozen=True)
class Data:
    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray


def digits() -> Data:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)
    return Data(xtr, xte, ytr, yte)


def featurize(data: Data, kind: str) -> Data:
    from sklearn.decomposition import PCA
    from sklearn.feature_selection import SelectKBest, VarianceThreshold, f_classif
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    steps: list[Any] = [PolynomialFeatures(2), VarianceThreshold(), StandardScaler()]
    if kind == "kbest":
        steps.append(SelectKBest(f_classif, k=128))
    elif kind == "pca":
        steps.append(PCA(128, svd_solver="randomized", random_state=0))
    else:
        steps += [PCA(256, svd_solver="randomized", random_state=0), SelectKBest(f_classif, k=128)]
    prep = make_pipeline(*steps).fit(data.x_train, data.y_train)
    return Data(
        prep.transform(data.x_train), prep.transform(data.x_test), data.y_train, data.y_test
    )


def fit_score(data: Data, setting: str) -> float:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    kind, value = setting.split("-")
    if kind == "lr":
        model: Any = LogisticRegression(C=float(value), max_iter=300)
    else:
        model = RandomForestClassifier(n_estimators=int(value), random_state=0, n_jobs=1)
    model.fit(data.x_train, data.y_train)
    return float(model.score(data.x_test, data.y_test))


# -- the hyperflow pipeline: the same functions as nodes --------------------------------------
@hf.node(output="features", variant="kbest")
def kbest(digits: Data) -> Data:
    return featurize(digits, "kbest")


@hf.node(output="features", variant="pca")
def pca(digits: Data) -> Data:
    return featurize(digits, "pca")


@hf.node(output="features", variant="pca_kbest")
def pca_kbest(digits: Data) -> Data:
    return featurize(digits, "pca_kbest")


def metrics(
    features: Data, setting: Annotated[str, hf.Choice(*SETTINGS)] = "lr-1"
) -> dict[str, float]:
    return {"accuracy": fit_score(features, setting)}


sweep = hf.Pipeline([digits, kbest, pca, pca_kbest, metrics], name="digits-sweep")
GRID = {"features": FEATURES, "metrics.setting": SETTINGS}


def naive() -> tuple[float, float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial: Any) -> float:
        kind = trial.suggest_categorical("features", FEATURES)
        setting = trial.suggest_categorical("metrics.setting", SETTINGS)
        return fit_score(featurize(digits(), kind), setting)

    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.GridSampler(GRID, seed=0)
    )
    t0 = time.perf_counter()
    study.optimize(objective, n_trials=30)
    return time.perf_counter() - t0, float(study.best_value)


def ours() -> tuple[float, float, int]:
    t0 = time.perf_counter()
    study = sweep.optimize(
        objective=hf.Objective("accuracy"),
        n_trials=30,
        sampler="grid",
        grid=GRID,
        seed=0,
        n_jobs=2,
        track=False,
        progress=False,
    )
    wall = time.perf_counter() - t0
    featurized = sum(
        1
        for t in study.trials
        for k, hit in t.cache_hits.items()
        if k.startswith("features.") and not hit
    )
    return wall, float(study.best.value or 0.0), featurized


def main() -> None:
    work = tempfile.mkdtemp(prefix="hf-bench-opt-")
    os.chdir(work)  # a fresh, empty cache
    try:
        naive_s, naive_best = naive()
        ours_s, ours_best, featurized = ours()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("30-trial grid sweep on digits (3 featurizations x 10 model settings)")
    print(f"  naive Optuna loop   {naive_s:7.2f} s   best accuracy {naive_best:.4f}")
    print(
        f"  hyperflow (n_jobs=2){ours_s:7.2f} s   best accuracy {ours_best:.4f}"
        f"   featurization executed {featurized}x"
    )
    same = abs(ours_best - naive_best) < 1e-9
    print(f"ratio hyperflow/naive = {ours_s / naive_s:.3f}  (target <= 0.4); same best: {same}")


if __name__ == "__main__":
    main()
