"""Statistics agree with scipy; corrections agree with scipy's BH."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from hyperflow.monitor._stattests import (
    adjust_pvalues,
    bin_shares,
    chi2_homogeneity,
    jensen_shannon,
    ks_pvalue,
    ks_statistic_sorted,
    pelz_good_sf,
    psi,
    quantile_edges,
    wasserstein_sorted,
)


@pytest.mark.parametrize(
    ("m", "n", "ties"),
    [
        (30, 45, False),
        (200, 300, True),
        (400, 500, False),
        (3000, 2000, True),
        (20000, 15000, False),
    ],
)
def test_ks_matches_scipy_statistic_and_pvalue(m: int, n: int, ties: bool) -> None:
    rng = np.random.default_rng(m)
    a, b = rng.normal(size=m), rng.normal(0.1, 1.1, size=n)
    if ties:
        a, b = np.round(a, 1), np.round(b, 1)
    d = ks_statistic_sorted(np.sort(a), np.sort(b))
    p, how = ks_pvalue(d, m, n, np.sort(a), np.sort(b))
    method = "exact" if how == "exact" else "asymp"
    ref = stats.ks_2samp(a, b, method=method)
    assert abs(d - ref.statistic) < 1e-9
    # Exact p-values are scipy's own; asymptotic ones may use the Pelz-Good series.
    assert abs(p - ref.pvalue) < (1e-9 if how == "exact" else 1e-6)
    assert how == ("exact" if m * n <= 250_000 else "asymptotic")


@pytest.mark.parametrize("en", [1_001, 50_000])
def test_fast_asymptotic_ks_pvalue_agrees_with_scipy_kstwo(en: int) -> None:
    dummy = np.zeros(1)
    for d in np.r_[np.linspace(1.05 / en, np.sqrt(18 / en), 8), np.sqrt([20 / en, 50 / en])]:
        assert abs(pelz_good_sf(en, d) - stats.kstwo.sf(d, en)) < 1e-7 or d * d * en > 18
        # Equal sizes 2 en give en effective rows: the p-value is scipy's asymptotic one.
        p, how = ks_pvalue(d, 2 * en, 2 * en, dummy, dummy)
        assert how == "asymptotic" and abs(p - stats.kstwo.sf(d, en)) < 1e-7


def test_ks_identical_and_disjoint_samples() -> None:
    x = np.sort(np.random.default_rng(0).normal(size=100))
    assert ks_statistic_sorted(x, x) == 0.0
    assert ks_statistic_sorted(x, x + 100) == 1.0


def test_wasserstein_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    a, b = np.round(rng.normal(size=700), 2), rng.exponential(size=500)
    got = wasserstein_sorted(np.sort(a), np.sort(b))
    assert abs(got - stats.wasserstein_distance(a, b)) < 1e-9


def test_chi2_matches_scipy_contingency() -> None:
    ref = np.array([120.0, 80.0, 40.0, 10.0])
    cur = np.array([100.0, 95.0, 30.0, 25.0])
    stat, p = chi2_homogeneity(ref, cur)
    expected = stats.chi2_contingency(np.vstack([ref, cur]), correction=False)
    assert abs(stat - expected.statistic) < 1e-9
    assert abs(p - expected.pvalue) < 1e-9


def test_chi2_unseen_category_is_evidence_not_error() -> None:
    ref = np.array([500.0, 500.0, 0.0])
    cur = np.array([450.0, 450.0, 100.0])  # a new category appears in production
    stat, p = chi2_homogeneity(ref, cur)
    assert np.isfinite(stat) and p < 1e-10
    assert stat == pytest.approx(stats.chi2_contingency(np.vstack([ref, cur])).statistic)


def test_psi_on_reference_quantile_bins() -> None:
    rng = np.random.default_rng(2)
    ref = np.sort(rng.normal(size=20_000))
    edges = quantile_edges(ref, 10)
    shares = bin_shares(ref, edges)
    np.testing.assert_allclose(shares, 0.1, atol=1e-3)  # deciles hold a tenth each
    same = np.sort(rng.normal(size=20_000))
    shifted = np.sort(rng.normal(0.5, 1, size=20_000))
    assert psi(shares, bin_shares(same, edges)) < 0.01
    assert psi(shares, bin_shares(shifted, edges)) > 0.2
    p, q = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    assert psi(p, q) == pytest.approx(-0.25 * np.log(0.5) + 0.25 * np.log(1.5))


def test_jensen_shannon_matches_scipy() -> None:
    p, q = np.array([0.7, 0.2, 0.1, 0.0]), np.array([0.4, 0.3, 0.1, 0.2])
    assert jensen_shannon(p, q) == pytest.approx(jensenshannon(p, q, base=2), abs=1e-12)
    assert jensen_shannon(p, p) == 0.0


def test_corrections() -> None:
    ps = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216]
    bh = adjust_pvalues(ps, "fdr")
    np.testing.assert_allclose(bh, stats.false_discovery_control(ps, method="bh"), atol=1e-12)
    assert adjust_pvalues(ps, "bonferroni") == pytest.approx([min(1.0, p * 10) for p in ps])
    assert adjust_pvalues(ps, "none") == ps
    assert adjust_pvalues([], "fdr") == []
