"""Drift monitoring: data, prediction and target drift, windows, performance, reports,
live checks over the prediction log, alert rules and channels.

Example:
    >>> import numpy as np, pandas as pd
    >>> import hyperflow as hf
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(list("ab"), 500)})
    >>> rep = hf.monitor.drift(ref, ref.assign(x=ref.x + 1))
    >>> rep.drifted_columns
    ['x']
"""

from hyperflow.monitor._alerts import AlertManager, cause_chain
from hyperflow.monitor._channels import (
    Channel,
    EmailChannel,
    LogChannel,
    WebhookChannel,
    make_channel,
)
from hyperflow.monitor._config import AlertConfig, MonitorConfig, monitor_config
from hyperflow.monitor._detector import DriftDetector, drift
from hyperflow.monitor._live import Check, check, history
from hyperflow.monitor._mmd import MMDResult, mmd_test
from hyperflow.monitor._profile import profile_version
from hyperflow.monitor._report import ColumnDrift, DriftReport
from hyperflow.monitor._windows import over_time, performance

__all__ = [
    "AlertConfig",
    "AlertManager",
    "Channel",
    "Check",
    "ColumnDrift",
    "DriftDetector",
    "DriftReport",
    "EmailChannel",
    "LogChannel",
    "MMDResult",
    "MonitorConfig",
    "WebhookChannel",
    "cause_chain",
    "check",
    "drift",
    "history",
    "make_channel",
    "mmd_test",
    "monitor_config",
    "over_time",
    "performance",
    "profile_version",
]
