"""The figures of one window: volume, errors, latency, feedback and performance with CIs.

Figure names are what alert rules read (``drift.share``, ``metrics.accuracy`` ...);
:data:`FIGURES` lists them so unknown names are errors at load time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from hyperflow._errors import ConfigError
from hyperflow._expr import Rule

__all__ = ["FIGURES", "check_rule", "performance_figures", "traffic_figures"]

FIGURES = (
    "requests", "error_rate", "latency.mean_ms", "latency.p50_ms", "latency.p95_ms",
    "latency.p99_ms", "feedback.count", "feedback.coverage", "drift.share", "drift.count",
    "drift.columns", "drift.dataset", "drift.max_severity", "drift.threshold",
    "drift.statistic", "drift.alarm", "drift.false_alarms_per_week", "drift.tests_drifted",
    "drift.prediction", "drift.target", "metrics.accuracy", "metrics.accuracy_low",
    "metrics.accuracy_high", "metrics.mae", "metrics.mae_low", "metrics.mae_high",
    "metrics.rmse", "reference.rows",
)
_Z = 1.959963984540054


def check_rule(text: str, where: str = "") -> Rule:
    """Parse an alert condition and refuse unknown figure names (with "did you mean")."""
    try:
        rule = Rule(text)
    except ConfigError as exc:
        raise ConfigError(f"{exc}{where}") from None
    rule.check_names(FIGURES, where)
    return rule


def traffic_figures(latency: np.ndarray[Any, Any], errors: int) -> dict[str, float]:
    """Volume, error rate and latency percentiles of a window."""
    n = int(latency.size)
    out: dict[str, float] = {"requests": float(n), "error_rate": errors / n if n else 0.0}
    if n:
        p50, p95, p99 = np.percentile(latency, [50, 95, 99])
        out.update({
            "latency.mean_ms": float(latency.mean()), "latency.p50_ms": float(p50),
            "latency.p95_ms": float(p95), "latency.p99_ms": float(p99),
        })
    return out


def _wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + _Z**2 / (2 * n)) / (1 + _Z**2 / n)
    half = _Z * math.sqrt(p * (1 - p) / n + _Z**2 / (4 * n * n)) / (1 + _Z**2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def performance_figures(
    predicted: Sequence[Any], truth: Sequence[Any], requests: int
) -> dict[str, float]:
    """Feedback count and coverage, and accuracy (Wilson 95% CI) or MAE/RMSE (normal CI)."""
    n = len(truth)
    out: dict[str, float] = {
        "feedback.count": float(n), "feedback.coverage": n / requests if requests else 0.0,
    }
    if not n:
        return out
    if _numeric(truth) and _numeric(predicted) and not all(float(v).is_integer() for v in truth):
        err = np.abs(np.asarray(predicted, float) - np.asarray(truth, float))
        half = _Z * float(err.std(ddof=1)) / math.sqrt(n) if n > 1 else math.inf
        mae = float(err.mean())
        out.update({
            "metrics.mae": mae, "metrics.mae_low": mae - half, "metrics.mae_high": mae + half,
            "metrics.rmse": float(np.sqrt((err**2).mean())),
        })
        return out
    hits = sum(1 for p, t in zip(predicted, truth, strict=True) if p == t)
    low, high = _wilson(hits, n)
    out.update({
        "metrics.accuracy": hits / n, "metrics.accuracy_low": low, "metrics.accuracy_high": high,
    })
    return out
