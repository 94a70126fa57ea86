"""Thresholds that do not cry wolf: the drift decision calibrated on the reference.

For a window of ``n`` rows, ``B`` windows of ``n`` rows are drawn from the reference
profile itself (numeric columns from the stored sample, categorical ones from the stored
counts, embeddings from the stored vectors: all undrifted by construction) and scored
like live windows. The window statistic is the largest column severity; its
``1 - rate`` quantile over the null windows is the threshold, so an undrifted window
raises an alarm with probability ``rate`` whatever ``n`` is (Alibi Detect's "expected
run time between false alarms" idea, NannyML's thresholds from reference chunks).
Windows above ``max_rows`` are decided on a uniform sample of ``max_rows`` rows, so the
calibration cost is bounded.
"""

from __future__ import annotations

import copy
import math
from collections import OrderedDict
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from hyperflow.monitor._detector import DriftDetector
from hyperflow.monitor._report import DriftReport

__all__ = [
    "GRID",
    "Calibration", "calibrate", "decision_size", "null_reference", "null_window",
           "window_statistic"]

GRID = (100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000)
"""Window sizes thresholds are calibrated at: a window is decided on a sample of the largest
grid size it reaches (at most ``max_rows``), so thresholds are reused across windows."""


def decision_size(n: int, max_rows: int) -> int:
    """The grid size a window of ``n`` rows is decided at (``n`` itself below the grid)."""
    fit = [g for g in GRID if g <= min(n, max_rows)]
    return fit[-1] if fit else n


_CACHE: OrderedDict[tuple[str, int, float, int, int], Calibration] = OrderedDict()


class Calibration:
    """A calibrated threshold: the statistic's ``1 - rate`` quantile over null windows."""

    def __init__(self, threshold: float, n: int, rate: float, windows: int) -> None:
        self.threshold, self.n, self.rate, self.windows = threshold, n, rate, windows

    def per_week(self, every_s: float | None) -> float | None:
        """Expected false alarms per week at a check every ``every_s`` seconds."""
        return None if not every_s else self.rate * 604800.0 / every_s


def window_statistic(report: DriftReport) -> float:
    """The largest severity among the tested input columns (0 when none was tested)."""
    return max((c.severity for c in report.tested if c.role == "feature"), default=0.0)


def null_window(det: DriftDetector, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` rows drawn from the reference profile (with replacement): an undrifted window."""
    cols: dict[str, Any] = {}
    for name, prof in (det.profiles_ or {}).items():
        if prof.kind == "numeric" and prof.sample.size:
            cols[name] = rng.choice(prof.sample, n, replace=True)
        elif prof.kind == "categorical" and prof.counts:
            cats = list(prof.counts)
            p = np.asarray([prof.counts[c] for c in cats], float)
            cols[name] = np.asarray(cats, dtype=object)[rng.choice(len(cats), n, p=p / p.sum())]
        elif prof.kind == "embedding" and prof.vectors.shape[0] >= 2:
            rows = prof.vectors[rng.choice(prof.vectors.shape[0], n, replace=True)]
            cols[name] = list(rows)  # a column of vectors, as logged
    return pd.DataFrame(cols)


def null_reference(det: DriftDetector, rng: np.random.Generator) -> DriftDetector:
    """``det`` with each reference column resampled (same size): the reference's own noise."""
    twin = copy.copy(det)
    profiles = {}
    for name, prof in (det.profiles_ or {}).items():
        if prof.kind == "numeric" and prof.sample.size:
            prof = replace(prof, sample=np.sort(rng.choice(prof.sample, prof.sample.size)))
        elif prof.kind == "categorical" and prof.counts:
            p = np.asarray(list(prof.counts.values()), float)
            drawn = rng.multinomial(int(p.sum()), p / p.sum())
            prof = replace(prof, counts=dict(zip(prof.counts, map(int, drawn), strict=True)))
        elif prof.kind == "embedding" and prof.vectors.shape[0] >= 2:
            rows = rng.choice(prof.vectors.shape[0], prof.vectors.shape[0])
            prof = replace(prof, vectors=prof.vectors[rows])
        profiles[name] = prof
    twin.profiles_ = profiles
    return twin


def calibrate(
    det: DriftDetector, n: int, *, rate: float, windows: int = 200, seed: int = 0,
    key: str | None = None,
) -> Calibration:
    """The threshold of :func:`window_statistic` for windows of ``n`` rows.

    ``key`` (e.g. the digest of the stored profile) caches the result across detectors.
    """
    cache_key = (key or str(id(det)), n, rate, windows, seed)
    hit = _CACHE.get(cache_key)
    if hit is not None:
        return hit
    rng = np.random.default_rng(seed)
    roles = (det.target, det.prediction)
    stats = []
    for _ in range(windows):
        frame = null_window(det, n, rng)  # window and reference both redrawn: a two-sample null
        twin = null_reference(det, rng)
        stats.append(window_statistic(twin.score(frame[[c for c in frame if c not in roles]])))
    rank = min(len(stats) - 1, math.ceil((1 - rate) * (len(stats) + 1)) - 1)
    threshold = float(np.sort(stats)[max(rank, 0)])
    result = Calibration(threshold, n, rate, windows)
    _CACHE[cache_key] = result
    while len(_CACHE) > 64:
        _CACHE.popitem(last=False)
    return result
