"""False-positive rates on no-drift data (random halves of real datasets) and power.

With 200 repetitions the standard error of a rate around alpha=0.05 is
sqrt(0.05 * 0.95 / 200) ≈ 0.0154; each p-value test must stay within 3 of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from vega_datasets import data

import hyperflow as hf

REPS = 200
ALPHA = 0.05
BAND = 3 * np.sqrt(ALPHA * (1 - ALPHA) / REPS)


def _halves_rejection_rates(df: pd.DataFrame, seed: int, **options: object) -> pd.Series:
    rng = np.random.default_rng(seed)
    half = len(df) // 2
    rows = []
    for _ in range(REPS):
        idx = rng.permutation(len(df))
        rep = hf.monitor.drift(
            df.iloc[idx[:half]], df.iloc[idx[half:]], correction="none", alpha=ALPHA, **options
        )
        rows.append({n: c.drifted for n, c in rep.columns.items()})
    return pd.DataFrame(rows).mean()


def _seattle() -> pd.DataFrame:
    return data.seattle_weather().drop(columns=["date"])


def test_ks_asymptotic_and_chi2_false_positive_rates_seattle_weather() -> None:
    rates = _halves_rejection_rates(_seattle(), 0, method="ks", categorical=["weather"])
    rep = hf.monitor.drift(_seattle()[:730], _seattle()[730:], method="ks", categorical=["weather"])
    assert rep.columns["weather"].test == "chi2" and "asymptotic" in rep.columns["wind"].reason
    for name, rate in rates.items():
        assert abs(rate - ALPHA) <= BAND, f"{name}: false-positive rate {rate}"


def test_ks_exact_false_positive_rate_breast_cancer() -> None:
    df = pd.DataFrame(load_breast_cancer().data[:, :8]).add_prefix("f")
    rates = _halves_rejection_rates(df, 1, method="ks")
    report = hf.monitor.drift(df.iloc[:280], df.iloc[280:], method="ks")
    assert "exact p-value" in report.columns["f0"].reason
    for name, rate in rates.items():
        assert abs(rate - ALPHA) <= BAND, f"{name}: false-positive rate {rate}"


def test_mmd_false_positive_rate_digits() -> None:
    x = load_digits().data
    rng = np.random.default_rng(2)
    rejected = 0
    for r in range(REPS):
        idx = rng.choice(len(x), 300, replace=False)
        rejected += hf.monitor.mmd_test(x[idx[:150]], x[idx[150:]], seed=r).p_value < ALPHA
    assert abs(rejected / REPS - ALPHA) <= BAND


def test_power_numeric_shift_of_a_third_sigma() -> None:
    df = _seattle()
    rng = np.random.default_rng(3)
    hits = 0
    for _ in range(50):
        idx = rng.permutation(len(df))
        ref, cur = df.iloc[idx[:730]], df.iloc[idx[730:]].copy()
        cur["temp_max"] += 0.3 * df["temp_max"].std()
        hits += hf.monitor.drift(ref, cur, method="ks").columns["temp_max"].drifted
    assert hits / 50 >= 0.9


def test_power_one_category_share_doubled() -> None:
    df = _seattle()
    rng = np.random.default_rng(4)
    is_rain = (df["weather"] == "rain").to_numpy()
    share = is_rain.mean()
    weights = np.where(is_rain, 2 * share / is_rain.sum(), (1 - 2 * share) / (~is_rain).sum())
    hits = 0
    for _ in range(50):
        ref = df.sample(730, random_state=int(rng.integers(1 << 30)))
        cur = df.iloc[rng.choice(len(df), 730, p=weights)]
        col = hf.monitor.drift(ref, cur, categorical=["weather"]).columns["weather"]
        hits += col.drifted
    assert col.test == "chi2"
    assert hits / 50 >= 0.8


def test_power_embedding_shift_of_005_per_dimension() -> None:
    rng = np.random.default_rng(5)
    hits = 0
    for r in range(20):
        ref, cur = rng.normal(size=(300, 384)), rng.normal(size=(300, 384)) + 0.05
        hits += hf.monitor.mmd_test(ref, cur, seed=r).p_value < ALPHA
    assert hits / 20 >= 0.9


@pytest.mark.parametrize("correction", ["bonferroni", "fdr"])
def test_corrected_dataset_level_false_alarms_stay_below_alpha(correction: str) -> None:
    # Under no drift, any-column rejections after correction are at most alpha (FWER control
    # for Bonferroni; BH controls FDR, which equals FWER when nothing drifted).
    rng = np.random.default_rng(6)
    df = pd.DataFrame(load_breast_cancer().data[:, :10]).add_prefix("f")
    alarms = 0
    for _ in range(60):
        idx = rng.permutation(len(df))
        rep = hf.monitor.drift(
            df.iloc[idx[:400]], df.iloc[idx[400:]], method="ks", correction=correction
        )
        alarms += rep.n_drifted > 0
    assert alarms / 60 <= ALPHA + 3 * np.sqrt(ALPHA * (1 - ALPHA) / 60)
