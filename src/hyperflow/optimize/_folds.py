"""``hf.folds``: cross-validation as data — an evaluation pipeline mapped over folds.

``hf.folds(evaluate, k=5)`` is a pipeline of three steps: a split node makes the
list of ``Fold``s (scikit-learn's ``KFold`` / ``StratifiedKFold`` / ``GroupKFold`` /
``TimeSeriesSplit``), ``evaluate`` runs once per fold through ``as_node(map_over=...)``
and an aggregate node turns the per-fold metrics into ``metrics["f1"]`` (mean),
``metrics["f1.std"]`` and ``metrics["f1.folds"]``. Each fold's nodes are cached by
that fold's data, so a repeated or resumed search recomputes only folds it has not
seen, and ``report=`` reports each fold's score so a pruner stops a bad config after
its first folds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hyperflow._errors import OptimizeError
from hyperflow.core import Pipeline, node
from hyperflow.optimize._report import report as _report

__all__ = ["Fold", "folds"]


@dataclass(frozen=True)
class Fold:
    """One cross-validation fold: its training and held-out rows.

    Attributes:
        index: the fold's number (0-based); ``k``: how many folds there are.
        X_train, y_train, X_test, y_test: the rows, of the type given (NumPy arrays,
            pandas objects or lists).
        train_index, test_index: row positions into the original data.
    """

    index: int
    k: int
    X_train: Any
    y_train: Any
    X_test: Any
    y_test: Any
    train_index: tuple[int, ...]
    test_index: tuple[int, ...]


def _take(data: Any, rows: Sequence[int]) -> Any:
    if hasattr(data, "iloc"):
        return data.iloc[list(rows)]
    if hasattr(data, "take") and hasattr(data, "shape"):
        return data.take(list(rows), axis=0)
    return [data[i] for i in rows]


@dataclass(frozen=True)
class _Splitter:
    k: int
    stratify: bool
    grouped: bool
    time_series: bool
    shuffle: bool
    seed: int

    def cv(self) -> Any:
        from sklearn import model_selection as ms

        if self.time_series:
            return ms.TimeSeriesSplit(n_splits=self.k)
        if self.grouped and self.stratify:
            return ms.StratifiedGroupKFold(self.k, shuffle=self.shuffle, random_state=self._rs())
        if self.grouped:
            return ms.GroupKFold(self.k)
        if self.stratify:
            return ms.StratifiedKFold(self.k, shuffle=self.shuffle, random_state=self._rs())
        return ms.KFold(self.k, shuffle=self.shuffle, random_state=self._rs())

    def _rs(self) -> int | None:
        return self.seed if self.shuffle else None

    def split(self, X: Any, y: Any, groups: Any = None) -> list[Fold]:
        import numpy as np

        rows = np.arange(len(X))
        pairs = self.cv().split(rows, y, groups)
        return [
            Fold(
                i,
                self.k,
                _take(X, tr),
                _take(y, tr),
                _take(X, te),
                _take(y, te),
                tuple(int(r) for r in tr),
                tuple(int(r) for r in te),
            )
            for i, (tr, te) in enumerate(pairs)
        ]


def _aggregate(per_fold: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-fold metric dicts -> mean under the name, ``.std`` and ``.folds``."""
    out: dict[str, Any] = {}
    names = [k for k in per_fold[0] if all(k in m for m in per_fold)] if per_fold else []
    for name in names:
        try:
            values = [float(m[name]) for m in per_fold]
        except (TypeError, ValueError):
            continue
        mean = sum(values) / len(values)
        var = sum((v - mean) ** 2 for v in values) / len(values)
        out[name] = mean
        out[f"{name}.std"] = math.sqrt(var)
        out[f"{name}.folds"] = values
    return out


def _splitter_node(splitter: _Splitter, grouped: bool) -> Callable[..., list[Fold]]:
    if grouped:

        def cv_folds_grouped(X: Any, y: Any, groups: Any) -> list[Fold]:
            return splitter.split(X, y, groups)

        return node(output="cv_folds")(cv_folds_grouped)

    def cv_folds(X: Any, y: Any) -> list[Fold]:
        return splitter.split(X, y)

    return node(output="cv_folds")(cv_folds)


def _reporter_node(metric: str | None) -> Callable[..., dict[str, Any]]:
    """The per-fold pass-through that reports ``metric`` at step ``fold.index`` (not cached,
    so a fold read from the cache still reports)."""

    def fold_metrics(fold: Fold, metrics: dict[str, Any]) -> dict[str, Any]:
        got = dict(metrics)
        if metric is not None:
            if metric not in got:
                raise OptimizeError(
                    f"hf.folds(report={metric!r}): the fold's metrics have no {metric!r}; "
                    f"they have {sorted(got)}"
                )
            _report(float(got[metric]), fold.index)
        return got

    return node(cache=False)(fold_metrics)


def _aggregate_node(output: str) -> Callable[..., dict[str, Any]]:
    def aggregate(fold_metrics: list[dict[str, Any]]) -> dict[str, Any]:
        return _aggregate(fold_metrics)

    return node(output=output)(aggregate)


def folds(
    evaluate: Pipeline,
    *,
    k: int = 5,
    x: str = "X",
    y: str = "y",
    stratify: bool = False,
    group: str | None = None,
    time_series: bool = False,
    shuffle: bool = True,
    seed: int = 0,
    metrics: str | None = None,
    report: str | None = None,
    output: str = "metrics",
    name: str = "cv",
) -> Pipeline:
    """Cross-validate ``evaluate``: a pipeline that runs it once per fold.

    ``evaluate`` takes an input ``fold`` (a ``Fold``: ``X_train``, ``y_train``,
    ``X_test``, ``y_test``) and produces ``metrics`` (a ``dict[str, float]``). The
    returned pipeline takes ``x`` and ``y`` (and ``group``) and produces ``output``
    (``"metrics"``) with each metric's mean under its name, plus ``"<name>.std"`` and
    ``"<name>.folds"``; an objective may read ``"f1 - 1.0 * f1.std"``.

    Args:
        k: number of folds (splits for ``time_series``).
        x, y: names of the data and target values the folds are cut from.
        stratify: keep class proportions in every fold (``StratifiedKFold``).
        group: name of a value with group labels: no group spans two folds.
        time_series: forward-chaining folds (``TimeSeriesSplit``): train on the past.
        shuffle, seed: shuffle rows before cutting (not for groups or time series).
        metrics: the output of ``evaluate`` holding the metrics (default: ``"metrics"``,
            or its only final output).
        report: a metric reported with ``hf.report`` after each fold (step = fold
            index), so a pruner stops a bad config after its first folds.
        output: the name of the aggregated metrics.
        name: the returned pipeline's name (config keys sit under ``name.fold.``).
    """
    if k < 2:
        raise OptimizeError(f"hf.folds needs k >= 2 folds, got {k}")
    if "fold" not in evaluate.inputs:
        raise OptimizeError(
            f"hf.folds: pipeline {evaluate.name!r} must take an input named 'fold' (a Fold "
            f"with X_train, y_train, X_test, y_test); its inputs are {sorted(evaluate.inputs)}"
        )
    if metrics is None:
        single = len(evaluate.sinks) == 1 and "metrics" not in evaluate.outputs
        metrics = evaluate.sinks[0] if single else "metrics"
    if metrics not in evaluate.outputs:
        raise OptimizeError(
            f"hf.folds: pipeline {evaluate.name!r} has no output {metrics!r}; pass "
            f"metrics=<one of {list(evaluate.outputs)}>"
        )
    splitter = _Splitter(
        k, stratify, group is not None, time_series, shuffle and not time_series, seed
    )
    split = Pipeline([_splitter_node(splitter, group is not None)], name="split")
    renames = {x: "X", y: "y", **({group: "groups"} if group is not None else {})}
    inner = evaluate if metrics == "metrics" else evaluate.as_node(outputs={metrics: "metrics"})
    per_fold = Pipeline([inner, _reporter_node(report)], name="fold")
    return Pipeline(
        [
            split.as_node("split", inputs=renames),
            per_fold.as_node(
                "fold",
                inputs={"cv_folds": "fold"},
                map_over="cv_folds",
            ),
            _aggregate_node(output),
        ],
        name=name,
    )
