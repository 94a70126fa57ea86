"""Drift over time windows, and windowed performance (concept drift)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hyperflow as hf


def _stream(days: int = 120, per_day: int = 40, seed: int = 0) -> pd.DataFrame:
    """Inputs stay stable; after day 60 the label rule flips for half the space."""
    rng = np.random.default_rng(seed)
    n = days * per_day
    date = np.repeat(pd.date_range("2024-01-01", periods=days, freq="D"), per_day)
    x = rng.normal(size=n)
    late = np.arange(n) >= 60 * per_day
    y = np.where(late & (x > 0), (x < 0.5).astype(int), (x > 0).astype(int))
    pred = (x > 0).astype(int)  # the model learned the old rule
    return pd.DataFrame({"date": date, "x": x, "y": y, "pred": pred})


def test_over_time_yields_a_report_per_window() -> None:
    df = _stream()
    df.loc[df.date >= "2024-04-01", "x"] += 1.0  # data drift in the last window
    ref = df[df.date < "2024-01-31"].drop(columns=["date"])  # with or without the time column
    det = hf.monitor.DriftDetector(columns=["x"])
    windows = list(hf.monitor.over_time(df, time="date", every="30D", reference=ref, detector=det))
    assert [w.left for w, _ in windows] == list(pd.date_range("2024-01-01", periods=4, freq="30D"))
    assert all(isinstance(rep, hf.monitor.DriftReport) for _, rep in windows)
    assert [rep.drifted for _, rep in windows] == [False, False, False, True]
    assert "date" not in windows[0][1].columns


def test_over_time_with_progress_bar_gives_the_same_reports() -> None:
    df = _stream(days=60)
    plain = [r.to_dict() for _, r in hf.monitor.over_time(df, time="date", every="20D")]
    shown = [
        r.to_dict() for _, r in hf.monitor.over_time(df, time="date", every="20D", progress=True)
    ]
    assert plain == shown and len(plain) == 2  # the first window is the reference


def test_over_time_empty_window_gives_empty_status() -> None:
    df = _stream(days=90)
    df = df[(df.date < "2024-01-20") | (df.date >= "2024-02-20")]  # a 30-day gap
    out = list(hf.monitor.over_time(df, time="date", every="10D", reference=df.iloc[:400]))
    statuses = [next(iter(rep.columns.values())).status for _, rep in out]
    assert "empty" in statuses and "ok" in statuses


def test_concept_drift_shows_as_falling_performance_with_stable_inputs() -> None:
    df = _stream()
    perf = hf.monitor.performance(df, y_true="y", y_pred="pred", time="date", every="30D")
    assert list(perf.columns[:3]) == ["window_start", "window_end", "n"]
    assert perf["n"].tolist() == [1200, 1200, 1200, 1200]
    assert perf["accuracy"].iloc[0] == 1.0 and perf["accuracy"].iloc[-1] < 0.9
    assert (perf["accuracy_low"] <= perf["accuracy"]).all()
    assert (perf["accuracy"] <= perf["accuracy_high"]).all()
    # The late windows' intervals lie wholly below the early ones': a real fall.
    assert perf["accuracy_high"].iloc[-1] < perf["accuracy_low"].iloc[0]
    assert perf["f1_high"].iloc[-1] < perf["f1"].iloc[0]
    reports = list(hf.monitor.over_time(df, time="date", every="30D", columns=["x"]))
    assert not any(rep.drifted for _, rep in reports)  # inputs look stable


def test_regression_metrics_with_intervals() -> None:
    rng = np.random.default_rng(1)
    n = 2000
    date = pd.date_range("2024-01-01", periods=n, freq="h")
    y = rng.normal(size=n)
    noise = np.where(np.arange(n) < n // 2, 0.1, 0.5)
    df = pd.DataFrame({"t": date, "y": y, "p": y + rng.normal(size=n) * noise})
    perf = hf.monitor.performance(df, y_true="y", y_pred="p", time="t", every="7D")
    assert {"mae", "mae_low", "mae_high", "rmse", "rmse_low", "rmse_high"} <= set(perf.columns)
    first, last = perf.iloc[0], perf.iloc[-2]
    assert first.rmse == pytest.approx(0.1, rel=0.15) and last.rmse == pytest.approx(0.5, rel=0.15)
    assert first.mae_low < first.mae < first.mae_high
    assert first.rmse_low < first.rmse < first.rmse_high < last.rmse_low


def test_missing_labels_are_left_out_and_bad_arguments_explained() -> None:
    df = _stream(days=30)
    df.loc[::2, "y"] = np.nan
    perf = hf.monitor.performance(df, y_true="y", y_pred="pred", time="date", every="30D")
    assert perf["n"].tolist() == [600]
    with pytest.raises(hf.MonitorError, match="'label' is not in the data"):
        hf.monitor.performance(df, y_true="label", y_pred="pred", time="date", every="30D")
    with pytest.raises(hf.MonitorError, match="time column 'when'"):
        list(hf.monitor.over_time(df, time="when", every="30D"))
    with pytest.raises(hf.MonitorError, match="not a pandas frequency"):
        list(hf.monitor.over_time(df, time="date", every="monthly"))
