"""Fairness across groups: per-group metrics, their largest gap and ratio, with bootstrap CIs.

Built on Fairlearn's ``MetricFrame`` (install ``hyperflow[governance]``). A
:class:`FairnessResult` is plain data: it is recorded with a model version
(``hf.registry.record_fairness``), shown in the model card, and a gate can test
``result.max_difference <= 0.05`` or ``result.min_ratio >= 0.8``.

Groups with fewer than ``min_group_size`` rows are *reported* (with their metrics
and ``small=True``) but left out of the difference and ratio, which a handful of
rows would otherwise dominate; the summary names them.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hyperflow._errors import TestingError
from hyperflow.testing._predict import predict_batch

__all__ = ["FAIRNESS_METRICS", "FairnessResult", "GroupMetrics", "fairness"]

Metric = Callable[..., float]
DEFAULT_MIN_GROUP_SIZE = 30
CI_LEVEL = 0.95


def _fairlearn() -> Any:
    try:
        import fairlearn.metrics as fm
    except ImportError as exc:  # pragma: no cover - the dev extra installs it
        raise TestingError(
            "hf.testing.fairness needs Fairlearn: pip install 'hyperflow[governance]'"
        ) from exc
    return fm


def _builtin_metrics() -> dict[str, Metric]:
    fm = _fairlearn()
    from sklearn import metrics as sk

    return {
        "accuracy": sk.accuracy_score,
        "balanced_accuracy": sk.balanced_accuracy_score,
        "precision": lambda y, p, **kw: sk.precision_score(y, p, zero_division=0, **kw),
        "recall": lambda y, p, **kw: sk.recall_score(y, p, zero_division=0, **kw),
        "selection_rate": fm.selection_rate,
        "true_positive_rate": fm.true_positive_rate,
        "false_positive_rate": fm.false_positive_rate,
        "false_negative_rate": fm.false_negative_rate,
        "true_negative_rate": fm.true_negative_rate,
        "mean_prediction": fm.mean_prediction,
    }


#: The metric names :func:`fairness` knows (a callable ``f(y_true, y_pred)`` works too).
FAIRNESS_METRICS: tuple[str, ...] = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "true_negative_rate",
    "mean_prediction",
)
_NEEDS_POS = {
    "precision",
    "recall",
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "true_negative_rate",
}


@dataclass(frozen=True)
class GroupMetrics:
    """One group's metrics: ``group`` maps each sensitive column to its value here."""

    group: dict[str, str]
    n: int
    values: dict[str, float]
    ci: dict[str, list[float]] = field(default_factory=dict)
    small: bool = False

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.group.items())


@dataclass(frozen=True)
class FairnessResult:
    """Per-group metrics and, per metric, the largest gap and the smallest ratio between groups.

    Attributes:
        name: the check's name; sensitive: the sensitive columns; metrics: metric names.
        groups: one :class:`GroupMetrics` per group (small ones flagged).
        difference, ratio: per metric, max - min and min / max over the groups that are
            not small (``nan`` when fewer than two such groups).
        difference_ci, ratio_ci: per metric, ``[low, high]`` bootstrap interval.
        min_group_size, n_boot, seed: how it was computed.
    """

    name: str
    sensitive: list[str]
    metrics: list[str]
    groups: list[GroupMetrics]
    difference: dict[str, float]
    ratio: dict[str, float]
    difference_ci: dict[str, list[float]] = field(default_factory=dict)
    ratio_ci: dict[str, list[float]] = field(default_factory=dict)
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    n_boot: int = 0
    seed: int = 0

    @property
    def max_difference(self) -> float:
        """The largest between-group difference over all metrics (what a gate tests)."""
        return max((v for v in self.difference.values() if not math.isnan(v)), default=math.nan)

    @property
    def min_ratio(self) -> float:
        """The smallest between-group ratio over all metrics (1.0 is parity)."""
        return min((v for v in self.ratio.values() if not math.isnan(v)), default=math.nan)

    @property
    def small_groups(self) -> list[GroupMetrics]:
        """Groups left out of difference and ratio for having too few rows."""
        return [g for g in self.groups if g.small]

    def passes(
        self, *, max_difference: float | None = None, min_ratio: float | None = None
    ) -> bool:
        """Whether every metric's difference/ratio is within the given bounds.

        ``nan`` (fewer than two groups large enough to compare) never passes.
        """
        ok = True
        if max_difference is not None:
            ok = ok and all(v <= max_difference for v in self.difference.values())
        if min_ratio is not None:
            ok = ok and all(v >= min_ratio for v in self.ratio.values())
        return ok

    def summary(self) -> str:
        """One line per metric, and the small groups left out."""
        parts = [
            f"{m}: difference {_fmt(self.difference[m])}{_fmt_ci(self.difference_ci.get(m))}, "
            f"ratio {_fmt(self.ratio[m])}"
            for m in self.metrics
        ]
        head = f"fairness {self.name!r} over {', '.join(self.sensitive)}: " + "; ".join(parts)
        small = self.small_groups
        if small:
            head += (
                f" — {len(small)} group(s) under {self.min_group_size} rows reported but not "
                "compared: " + ", ".join(f"{g.label} (n={g.n})" for g in small)
            )
        return head

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """Plain data, ``nan`` as ``None`` (JSON-safe)."""
        data: dict[str, Any] = _nan_to_none(asdict(self))
        return data

    def to_json(self, indent: int | None = None) -> str:
        """The result as JSON; :meth:`from_json` reads it back."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> FairnessResult:
        """Read a result written by :meth:`to_json`."""
        try:
            data = _none_to_nan(json.loads(text))
            data["groups"] = [GroupMetrics(**g) for g in data["groups"]]
            return cls(**data)
        except (KeyError, TypeError, ValueError) as exc:
            raise TestingError(
                f"not a fairness result written by FairnessResult.to_json(): {exc}"
            ) from exc


def _fmt(v: float) -> str:
    return "n/a" if math.isnan(v) else f"{v:.3f}"


def _fmt_ci(ci: list[float] | None) -> str:
    return f" [{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else ""


def _nan_to_none(x: Any) -> Any:
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: _nan_to_none(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_nan_to_none(v) for v in x]
    return x


def _none_to_nan(data: dict[str, Any]) -> dict[str, Any]:
    for key in ("difference", "ratio"):
        data[key] = {k: math.nan if v is None else v for k, v in data[key].items()}
    for g in data["groups"]:
        g["values"] = {k: math.nan if v is None else v for k, v in g["values"].items()}
    return data


def _resolve_metrics(metrics: Sequence[str | Metric], pos_label: Any) -> dict[str, Metric]:
    known = _builtin_metrics()
    out: dict[str, Metric] = {}
    for m in metrics:
        if callable(m):
            out[getattr(m, "__name__", "metric")] = m
            continue
        if m not in known:
            close = difflib.get_close_matches(str(m), known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TestingError(
                f"unknown fairness metric {m!r}{hint} (known: {', '.join(known)}; or pass a "
                "function f(y_true, y_pred))"
            )
        fn = known[m]
        if m in _NEEDS_POS and pos_label is not None:
            fn = _with_pos(fn, pos_label)
        out[m] = fn
    if not out:
        raise TestingError("metrics= is empty; name at least one, e.g. ['accuracy']")
    return out


def _with_pos(fn: Metric, pos_label: Any) -> Metric:
    def metric(y_true: Any, y_pred: Any) -> float:
        return float(fn(y_true, y_pred, pos_label=pos_label))

    return metric


def _check_columns(data: pd.DataFrame, sensitive: Sequence[str], target: str | None) -> None:
    if isinstance(sensitive, str):
        raise TestingError(f"sensitive= takes a list of column names, e.g. [{sensitive!r}]")
    if not sensitive:
        raise TestingError("sensitive= is empty; name the column(s) holding the groups")
    wanted = list(sensitive) + ([target] if target is not None else [])
    for col in wanted:
        if col not in data.columns:
            close = difflib.get_close_matches(col, [str(c) for c in data.columns], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            what = "sensitive attribute" if col in sensitive else "target column"
            raise TestingError(
                f"{what} {col!r} is not a column of the data{hint} (columns: "
                f"{', '.join(map(str, data.columns))}); add it to the data you pass"
            )
    missing = data[list(sensitive)].isna().any()
    if missing.any():
        raise TestingError(
            f"sensitive column(s) {list(missing[missing].index)} have missing values; fill them "
            "(e.g. with 'unknown') so every row belongs to a group"
        )


def _predictions(
    predictor: Callable[..., Any], features: pd.DataFrame, call: str, on: str | None
) -> list[Any]:
    out = predict_batch(predictor, features.reset_index(drop=True), call)
    if on is not None:
        out = [o[on] for o in out]
    elif out and isinstance(out[0], Mapping) and "label" in out[0]:
        out = [o["label"] for o in out]  # hf.testing.from_sklearn's answer
    return out


def fairness(
    predictor: Callable[..., Any],
    data: pd.DataFrame,
    *,
    sensitive: Sequence[str],
    target: str = "target",
    metrics: Sequence[str | Metric] = ("accuracy", "selection_rate"),
    features: Sequence[str] | None = None,
    pos_label: Any = None,
    on: str | None = None,
    call: str = "frame",
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    n_boot: int = 200,
    seed: int = 0,
    name: str = "fairness",
) -> FairnessResult:
    """Compare ``predictor``'s metrics across the groups of the ``sensitive`` columns.

    Args:
        predictor: any callable taking a DataFrame (see ``call``), e.g. a loaded model.
        data: rows with the features, the ``sensitive`` columns and the ``target`` column.
        sensitive: the column(s) whose values (combined) define the groups.
        target: the column holding the true labels.
        metrics: names from :data:`FAIRNESS_METRICS` or functions ``f(y_true, y_pred)``.
        features: the columns the predictor sees (default: all but ``target``).
        pos_label: the positive class for rate metrics (default: Fairlearn's, 1).
        on: key of each output holding the label (dict outputs; ``"label"`` is found).
        min_group_size: groups with fewer rows are reported but not compared.
        n_boot: bootstrap resamples for the 95% intervals (0: none).
        seed: seeds the bootstrap.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"x": [0, 1, 0, 1] * 10, "g": ["a", "a", "b", "b"] * 10})
        >>> df["target"] = df["x"]
        >>> r = fairness(lambda d: d["x"].tolist(), df, sensitive=["g"], min_group_size=5,
        ...              n_boot=0)
        >>> r.difference["accuracy"], r.passes(max_difference=0.05)
        (0.0, True)
    """
    _check_columns(data, sensitive, target)
    fns = _resolve_metrics(metrics, pos_label)
    cols = list(features) if features is not None else [c for c in data.columns if c != target]
    y_pred = np.asarray(_predictions(predictor, data[cols], call, on))
    y_true = data[target].to_numpy()
    groups_df = data[list(sensitive)].astype(str).reset_index(drop=True)
    groups = _per_group(fns, y_true, y_pred, groups_df, min_group_size, _boot(n_boot, seed))
    large = (
        groups_df.apply(tuple, axis=1)
        .isin([tuple(g.group.values()) for g in groups if not g.small])
        .to_numpy()
    )
    diff, ratio, diff_ci, ratio_ci = _between_groups(
        fns, y_true[large], y_pred[large], groups_df[large], n_boot, seed
    )
    return FairnessResult(
        name=name,
        sensitive=list(sensitive),
        metrics=list(fns),
        groups=groups,
        difference=diff,
        ratio=ratio,
        difference_ci=diff_ci,
        ratio_ci=ratio_ci,
        min_group_size=min_group_size,
        n_boot=n_boot,
        seed=seed,
    )


def _boot(n_boot: int, seed: int) -> dict[str, Any]:
    """MetricFrame's bootstrap arguments for a 95% interval (none when ``n_boot`` is 0)."""
    if n_boot <= 0:
        return {}
    q = (1 - CI_LEVEL) / 2
    return {"n_boot": n_boot, "ci_quantiles": [q, 1 - q], "random_state": seed}


def _per_group(
    fns: dict[str, Metric],
    y_true: Any,
    y_pred: Any,
    groups: pd.DataFrame,
    min_size: int,
    boot: dict[str, Any],
) -> list[GroupMetrics]:
    fm = _fairlearn()
    frame = fm.MetricFrame(
        metrics={**fns, "__n": fm.count},
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=groups,
        **boot,
    )
    by_group = frame.by_group
    lo, hi = frame.by_group_ci if boot else (None, None)
    out = []
    for key, row in by_group.iterrows():
        keys = key if isinstance(key, tuple) else (key,)
        n = int(row["__n"])
        if n == 0:
            continue
        out.append(
            GroupMetrics(
                group={c: str(k) for c, k in zip(groups.columns, keys, strict=True)},
                n=n,
                values={m: float(row[m]) for m in fns},
                ci=_group_ci(lo, hi, key, fns),
                small=n < min_size,
            )
        )
    return out


def _group_ci(lo: Any, hi: Any, key: Any, fns: dict[str, Metric]) -> dict[str, list[float]]:
    if lo is None:
        return {}
    return {m: [float(lo.loc[key, m]), float(hi.loc[key, m])] for m in fns}


def _between_groups(
    fns: dict[str, Metric], y_true: Any, y_pred: Any, groups: pd.DataFrame, n_boot: int, seed: int
) -> tuple[dict[str, float], dict[str, float], dict[str, list[float]], dict[str, list[float]]]:
    nan = dict.fromkeys(fns, math.nan)
    if groups.drop_duplicates().shape[0] < 2:
        return nan, dict(nan), {}, {}
    fm = _fairlearn()
    boot = _boot(n_boot, seed)
    frame = fm.MetricFrame(
        metrics=fns, y_true=y_true, y_pred=y_pred, sensitive_features=groups, **boot
    )
    diff = {m: float(v) for m, v in frame.difference().items()}
    ratio = {m: float(v) for m, v in frame.ratio().items()}
    if not boot:
        return diff, ratio, {}, {}
    d_lo, d_hi = frame.difference_ci()
    r_lo, r_hi = frame.ratio_ci()
    diff_ci = {m: [float(d_lo[m]), float(d_hi[m])] for m in fns}
    ratio_ci = {m: [float(r_lo[m]), float(r_hi[m])] for m in fns}
    return diff, ratio, diff_ci, ratio_ci
