"""Drift and performance over time windows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from hyperflow._errors import MonitorError
from hyperflow.monitor._detector import DriftDetector
from hyperflow.monitor._report import DriftReport

__all__ = ["N_BOOTSTRAP", "over_time", "performance"]

#: Bootstrap resamples for F1 and RMSE confidence intervals.
N_BOOTSTRAP = 300


def _windows(df: pd.DataFrame, time: str, every: str) -> Iterator[tuple[pd.Interval, pd.DataFrame]]:
    if time not in df.columns:
        raise MonitorError(
            f"time column {time!r} is not in the data (columns: {list(df.columns)[:10]}); "
            "pass time=<name of a datetime column>."
        )
    ts = pd.to_datetime(df[time])
    try:
        offset = pd.tseries.frequencies.to_offset(every)
    except ValueError as exc:
        raise MonitorError(
            f"every={every!r} is not a pandas frequency such as '30D' or '1h'."
        ) from exc
    if len(df) == 0:
        return
    frame = df.assign(**{time: ts})
    for key, part in frame.groupby(pd.Grouper(key=time, freq=offset)):
        start = pd.Timestamp(key)  # type: ignore[arg-type]
        yield pd.Interval(start, start + offset, closed="left"), part


def over_time(
    data: pd.DataFrame,
    *,
    time: str,
    every: str,
    reference: Any = None,
    detector: DriftDetector | None = None,
    progress: bool = False,
    **options: Any,
) -> Iterator[tuple[pd.Interval, DriftReport]]:
    """Drift reports for consecutive time windows of ``data``.

    Args:
        data: rows with a datetime column ``time``.
        time: name of the time column (not itself tested).
        every: window length as a pandas frequency (``"30D"``, ``"1h"``, ``"W"``).
        reference: reference data; ``None`` uses the first window as reference.
        detector: a detector (fitted or not); otherwise one is built from ``options``.
        progress: show a rich progress bar.

    Yields:
        ``(window, report)`` with ``window`` a left-closed ``pd.Interval``;
        empty windows yield reports whose columns have status ``"empty"``.

    Example:
        >>> import numpy as np, pandas as pd
        >>> import hyperflow as hf
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=120, freq="D"),
        ...                    "x": np.r_[rng.normal(size=90), rng.normal(3, 1, size=30)]})
        >>> [rep.drifted for _, rep in hf.monitor.over_time(df, time="date", every="30D")]
        [False, False, True]
    """
    windows = list(_windows(data, time, every))
    det = detector if detector is not None else DriftDetector(**options)
    if det.profiles_ is None:
        if reference is None:
            if not windows:
                return
            reference = windows.pop(0)[1]
        if isinstance(reference, pd.DataFrame):
            reference = reference.drop(columns=[time], errors="ignore")
        det.fit(reference)
    keep_time = time in (det.profiles_ or {})
    items: Any = windows
    if progress:
        from rich.progress import track

        items = track(windows, description="drift over time")
    for window, part in items:
        yield window, det.score(part if keep_time else part.drop(columns=[time]))


def _is_regression(y: pd.Series[Any]) -> bool:
    if not pd.api.types.is_numeric_dtype(y.dtype) or pd.api.types.is_bool_dtype(y.dtype):
        return False
    vals = y.dropna().to_numpy(dtype=float)
    return bool(np.any(vals != np.round(vals))) or np.unique(vals).size > 20


def _f1(t: npt.NDArray[np.int64], p: npt.NDArray[np.int64], k: int, binary: bool) -> Any:
    """F1 per row of resampled label matrices (positive class = k - 1 when binary)."""
    classes = [k - 1] if binary else list(range(k))
    scores = []
    for c in classes:
        tp = np.sum((t == c) & (p == c), axis=-1)
        fp = np.sum((t != c) & (p == c), axis=-1)
        fn = np.sum((t == c) & (p != c), axis=-1)
        denom = 2 * tp + fp + fn
        scores.append(np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0))
    return np.mean(scores, axis=0)


def _window_metrics(
    yt: pd.Series[Any],
    yp: pd.Series[Any],
    regression: bool,
    labels: list[Any],
    z: float,
    conf: float,
    rng: np.random.Generator,
) -> dict[str, float]:
    n = len(yt)
    names = ("mae", "rmse") if regression else ("accuracy", "f1")
    if n == 0:
        return {f"{m}{s}": np.nan for m in names for s in ("", "_low", "_high")}
    lo_q, hi_q = 100 * (1 - conf) / 2, 100 * (1 + conf) / 2
    idx = rng.integers(0, n, size=(N_BOOTSTRAP, n))
    if regression:
        err = yp.to_numpy(dtype=float) - yt.to_numpy(dtype=float)
        ae = np.abs(err)
        mae = float(ae.mean())
        half = (
            float(stats.t.ppf((1 + conf) / 2, n - 1) * ae.std(ddof=1) / np.sqrt(n))
            if n > 1
            else np.nan
        )
        boot = np.sqrt(np.mean(err[idx] ** 2, axis=1))
        return {
            "mae": mae,
            "mae_low": mae - half,
            "mae_high": mae + half,
            "rmse": float(np.sqrt(np.mean(err**2))),
            "rmse_low": float(np.percentile(boot, lo_q)),
            "rmse_high": float(np.percentile(boot, hi_q)),
        }
    code = {v: i for i, v in enumerate(labels)}
    t = yt.map(code).to_numpy(dtype=np.int64)
    p = yp.map(code).fillna(-1).to_numpy(dtype=np.int64)
    acc = float(np.mean(t == p))
    # Wilson score interval for a proportion.
    centre = (acc + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(acc * (1 - acc) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    binary = len(labels) == 2
    f1 = float(_f1(t, p, len(labels), binary))
    boot = _f1(t[idx], p[idx], len(labels), binary)
    return {
        "accuracy": acc,
        "accuracy_low": float(centre - half),
        "accuracy_high": float(centre + half),
        "f1": f1,
        "f1_low": float(np.percentile(boot, lo_q)),
        "f1_high": float(np.percentile(boot, hi_q)),
    }


def performance(
    data: pd.DataFrame,
    *,
    y_true: str,
    y_pred: str,
    time: str,
    every: str,
    task: str = "auto",
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Model quality per time window, with confidence intervals.

    Classification gives ``accuracy`` (Wilson interval) and ``f1`` (binary F1
    of the larger label, macro-F1 for more classes; bootstrap interval);
    regression gives ``mae`` (t interval) and ``rmse`` (bootstrap interval).
    Rows without a label are left out, so late feedback simply shrinks ``n``.

    Args:
        data: rows with the label, the prediction and a datetime column.
        y_true, y_pred: names of the label and prediction columns.
        time, every: the time column and window length (pandas frequency).
        task: ``"classification"``, ``"regression"`` or ``"auto"`` (from the labels).
        confidence: level of the intervals.
        seed: seed of the bootstrap.

    Returns:
        One row per window: ``window_start``, ``window_end``, ``n`` and, per
        metric, ``<metric>``, ``<metric>_low``, ``<metric>_high``.

    Example:
        >>> import pandas as pd
        >>> import hyperflow as hf
        >>> df = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=4, freq="D"),
        ...                    "y": [1, 0, 1, 1], "p": [1, 0, 0, 1]})
        >>> perf = hf.monitor.performance(df, y_true="y", y_pred="p", time="t", every="2D")
        >>> perf["accuracy"].tolist()
        [1.0, 0.5]
    """
    for name in (y_true, y_pred):
        if name not in data.columns:
            raise MonitorError(
                f"column {name!r} is not in the data; columns: {list(data.columns)[:10]}."
            )
    if task not in ("auto", "classification", "regression"):
        raise MonitorError(f"task must be 'auto', 'classification' or 'regression', got {task!r}.")
    labelled = data[data[y_true].notna()]
    regression = _is_regression(labelled[y_true]) if task == "auto" else task == "regression"
    labels: list[Any] = []
    if not regression:
        labels = sorted(
            set(labelled[y_true].tolist()) | set(labelled[y_pred].dropna().tolist()), key=str
        )
    z = float(stats.norm.ppf((1 + confidence) / 2))
    rng = np.random.default_rng(seed)
    rows = []
    for window, part in _windows(labelled, time, every):
        row: dict[str, Any] = {
            "window_start": window.left,
            "window_end": window.right,
            "n": len(part),
        }
        row.update(
            _window_metrics(part[y_true], part[y_pred], regression, labels, z, confidence, rng)
        )
        rows.append(row)
    return pd.DataFrame(rows)
