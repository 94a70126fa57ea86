"""Pipelines for the optimize tests (module-level, so process and Dask workers import them)."""

from __future__ import annotations

import math
import threading
import time
from typing import Annotated

import hyperflow as hf


def data(n: int = 50) -> list[float]:
    return [math.sin(i) for i in range(n)]


@hf.node(output="features", variant="raw")
def raw(data: list[float]) -> list[float]:
    return list(data)


@hf.node(output="features", variant="square")
def square(data: list[float]) -> list[float]:
    return [x * x for x in data]


@hf.node(output="features", variant="shift")
def shift(data: list[float], by: Annotated[float, hf.Float(0.0, 2.0)] = 1.0) -> list[float]:
    return [x + by for x in data]


def model(
    features: list[float],
    setting: Annotated[str, hf.Choice(*[f"s{i}" for i in range(10)])] = "s0",
) -> float:
    return sum(features) / len(features) * (1 + int(setting[1:]) / 10)


def metrics(model: float) -> dict[str, float]:
    return {"score": model, "latency_ms": 1000 * abs(model) % 7, "cost": abs(model) * 2}


search = hf.Pipeline([data, raw, square, shift, model, metrics], name="search")


# a quadratic bowl: the optimum is x=2, y=-1, kind="b"
def bowl(
    x: Annotated[float, hf.Float(-5.0, 5.0)] = 0.0,
    y: Annotated[float, hf.Float(-5.0, 5.0)] = 0.0,
    kind: Annotated[str, hf.Choice("a", "b")] = "a",
) -> dict[str, float]:
    penalty = 0.0 if kind == "b" else 1.0
    return {"loss": (x - 2) ** 2 + (y + 1) ** 2 + penalty, "x": x, "y": y}


bowl_pipeline = hf.Pipeline([bowl], name="bowl")


def slow_metrics(
    wait: Annotated[float, hf.Float(0.0, 1.0)] = 0.5, pause: float = 0.3
) -> dict[str, float]:
    time.sleep(pause)
    return {"value": wait}


slow = hf.Pipeline([slow_metrics], name="slow")


def blas_threads(probe: Annotated[int, hf.Int(0, 3)] = 0) -> dict[str, float]:
    """The BLAS threads numpy uses in the process that runs the trial."""
    import numpy as np
    from threadpoolctl import threadpool_info

    np.ones((64, 64)) @ np.ones((64, 64))  # BLAS loaded and used
    blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return {"threads": float(max(blas)), "probe": float(probe)}


blas = hf.Pipeline([blas_threads], name="blas")


# a small discrete space (2 x 3 = 6 configurations) for grid and brute-force samplers
def tiny(
    kind: Annotated[str, hf.Choice("a", "b")] = "a", n: Annotated[int, hf.Int(0, 2)] = 0
) -> dict[str, float]:
    return {"score": n + (10.0 if kind == "b" else 0.0)}


tiny_pipeline = hf.Pipeline([tiny], name="tiny")


# trials meet at a barrier: they only finish when MEETING.parties of them run at once
MEETING = threading.Barrier(4)


def meet(x: Annotated[float, hf.Float(0.0, 1.0)] = 0.5) -> dict[str, float]:
    MEETING.wait(timeout=20)  # broken (and the trial failed) when trials do not overlap
    return {"value": x}


meeting = hf.Pipeline([meet], name="meeting")

MEETING2 = threading.Barrier(2)


def meet2(x: Annotated[float, hf.Float(0.0, 1.0)] = 0.5) -> dict[str, float]:
    MEETING2.wait(timeout=20)
    return {"value": x}


meeting2 = hf.Pipeline([meet2], name="meeting2")


class TrialPruned(Exception):  # Optuna's name on purpose, not Optuna's class
    """Named like Optuna's exception, but a user's own: a failure, not a pruned trial."""


def judged(x: Annotated[int, hf.Int(0, 3)] = 0, how: str = "fail") -> dict[str, float]:
    if x == 0 and how == "prune":
        import optuna

        raise optuna.TrialPruned(f"x={x} is not promising")
    if x == 0:
        raise TrialPruned("a user's exception that happens to share Optuna's name")
    return {"score": float(x)}


judged_pipeline = hf.Pipeline([judged], name="judged")


# an iterative "training": reports a score per epoch; bad configs report low scores.
# EPOCHS_RUN[trial config] counts epochs actually executed in this process.
EPOCHS_RUN: dict[float, int] = {}


def epochs(
    quality: Annotated[float, hf.Float(0.0, 1.0)] = 0.5, n_epochs: int = 10
) -> dict[str, float]:
    score = 0.0
    for epoch in range(n_epochs):
        EPOCHS_RUN[quality] = EPOCHS_RUN.get(quality, 0) + 1
        score = quality * (epoch + 1) / n_epochs
        hf.report(score, epoch)
    return {"score": score}


epochs_pipeline = hf.Pipeline([epochs], name="epochs")


# cross-validation: a "model" whose held-out score is its quality minus the fold's noise
FITS: list[tuple[float, int, int]] = []  # (quality, fold index, k) of every fit run here


def cv_fit(fold: hf.Fold, quality: Annotated[float, hf.Float(0.0, 1.0)] = 0.5) -> float:
    FITS.append((quality, fold.index, fold.k))
    return quality


def cv_metrics(cv_fit: float, fold: hf.Fold) -> dict[str, float]:
    return {"acc": cv_fit - 0.01 * fold.index, "n_test": float(len(fold.y_test))}


cv_evaluate = hf.Pipeline([cv_fit, cv_metrics], name="evaluate")


def rows(n: int = 40) -> list[float]:
    return [float(i) for i in range(n)]


def classes(n: int = 40) -> list[int]:
    return [i % 2 for i in range(n)]


def cv_search(k: int = 4, *, stratify: bool = False, report: str | None = None) -> hf.Pipeline:
    cv = hf.folds(cv_evaluate, k=k, x="rows", y="classes", stratify=stratify, report=report)
    return hf.Pipeline([rows, classes, cv], name="cvsearch")


# multi-fidelity: prep does not depend on the fidelity input (cached once); fit does
PREPS: list[int] = []
RUNGS: list[tuple[float, int]] = []


def prep(size: int = 8) -> list[float]:
    PREPS.append(size)
    return [1.0] * size


def fit_rows(
    prep: list[float], n_rows: int, quality: Annotated[float, hf.Float(0.0, 1.0)] = 0.5
) -> dict[str, float]:
    RUNGS.append((quality, n_rows))
    return {"score": quality * (1 - 1 / n_rows) + 0.0 * sum(prep)}


fidelity_pipeline = hf.Pipeline([prep, fit_rows], name="rows")


# single-flight: every trial waits at a rendezvous, then needs one slow featurization
@hf.node(cache=False)
def arrive(rendezvous: str, parties: int = 8) -> str:
    import os
    import uuid
    from pathlib import Path

    Path(rendezvous, uuid.uuid4().hex).touch()
    deadline = time.monotonic() + 120
    while len(os.listdir(rendezvous)) < parties:  # polling: all trials start together
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(os.listdir(rendezvous))} of {parties} trials met")
        time.sleep(0.01)
    return rendezvous


def featurize(arrive: str) -> list[float]:
    import os
    from pathlib import Path

    with open(Path(arrive).parent / "featurized.log", "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()}\n")
    time.sleep(0.5)  # the expensive part every trial needs
    return [float(i) for i in range(100)]


def classify(featurize: list[float], c: Annotated[int, hf.Int(0, 7)] = 0) -> dict[str, float]:
    return {"score": sum(featurize) * c}


shared_features = hf.Pipeline([arrive, featurize, classify], name="shared")
