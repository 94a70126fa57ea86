"""Calibrated drift thresholds: the false-alarm rate per window is the configured one at
every window size (seattle-weather 2012-2013, resampled, is the undrifted traffic)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from vega_datasets import data

from hyperflow.monitor import DriftDetector
from hyperflow.monitor._calibrate import calibrate, window_statistic

RATE = 0.05
WINDOWS = 200


def _reference() -> pd.DataFrame:
    df = data.seattle_weather()
    df = df[df["date"] < "2014-01-01"]
    return df.drop(columns=["date"]).reset_index(drop=True)


@pytest.mark.slow
@pytest.mark.parametrize("n", [100, 1_000, 10_000])
def test_false_alarm_rate_is_the_configured_one_whatever_the_window_size(n: int) -> None:
    ref = _reference()
    det = DriftDetector(categorical=["weather"]).fit(ref)
    cal = calibrate(det, n, rate=RATE, windows=WINDOWS, seed=1)
    rng = np.random.default_rng(100 + n)
    alarms = 0
    for _ in range(WINDOWS):
        window = ref.iloc[rng.integers(0, len(ref), n)]
        alarms += window_statistic(det.score(window)) > cal.threshold
    # the configured rate, within sampling noise of 200 windows (2 standard errors)
    assert alarms / WINDOWS <= RATE + 2 * np.sqrt(RATE * (1 - RATE) / WINDOWS), (n, alarms)
    assert cal.per_week(3600) == pytest.approx(RATE * 168)
    # and a real shift (3 degrees warmer) still raises the alarm
    warm = ref.iloc[rng.integers(0, len(ref), n)].assign(temp_max=lambda d: d.temp_max + 3)
    assert window_statistic(det.score(warm)) > cal.threshold
