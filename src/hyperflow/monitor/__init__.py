"""Drift monitoring: data, prediction and target drift, windows, performance, reports.

Example:
    >>> import numpy as np, pandas as pd
    >>> import hyperflow as hf
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(list("ab"), 500)})
    >>> rep = hf.monitor.drift(ref, ref.assign(x=ref.x + 1))
    >>> rep.drifted_columns
    ['x']
"""

from hyperflow.monitor._detector import DriftDetector, drift
from hyperflow.monitor._mmd import MMDResult, mmd_test
from hyperflow.monitor._report import ColumnDrift, DriftReport
from hyperflow.monitor._windows import over_time, performance

__all__ = [
    "ColumnDrift",
    "DriftDetector",
    "DriftReport",
    "MMDResult",
    "drift",
    "mmd_test",
    "over_time",
    "performance",
]
