"""The batched MMD permutation test."""

from __future__ import annotations

import numpy as np
import pytest

import hyperflow as hf
from hyperflow.monitor._mmd import (
    median_bandwidth,
    mmd2_batched,
    mmd2_from_sums,
    permutation_sides,
    sq_distances,
)


def _reindexing_null(k: np.ndarray, n: int, perms: list[np.ndarray]) -> list[float]:
    """alibi-detect's formulation: re-index the kernel matrix per permutation."""
    out = []
    m = k.shape[0] - n
    for perm in perms:
        kp = k[perm][:, perm]
        kxx, kyy, kxy = kp[:n, :n].sum(), kp[n:, n:].sum(), kp[:n, n:].sum()
        out.append(float(mmd2_from_sums(np.array(kxx), np.array(kyy), np.array(kxy), n, m)))
    return out


def test_batched_statistics_equal_reindexing() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 8)), rng.normal(0.2, 1, size=(50, 8))
    res = hf.monitor.mmd_test(x, y, n_permutations=30, bandwidth=2.0, seed=3)
    pooled = np.vstack([x, y])
    k = np.exp(-sq_distances(pooled, pooled) / (2 * 2.0**2))
    observed = _reindexing_null(k, 60, [np.arange(110)])[0]
    assert res.statistic == pytest.approx(observed, abs=1e-12)
    # The unbiased MMD² by its textbook definition.
    kxx, kyy, kxy = k[:60, :60], k[60:, 60:], k[:60, 60:]
    direct = (kxx.sum() - 60) / (60 * 59) + (kyy.sum() - 50) / (50 * 49) - 2 * kxy.mean()
    assert res.statistic == pytest.approx(direct, abs=1e-12)


def test_batched_null_equals_reindexing_null_permutation_by_permutation() -> None:
    rng = np.random.default_rng(7)
    pooled = rng.normal(size=(90, 6))
    k = np.exp(-sq_distances(pooled, pooled) / 4.0)
    side = permutation_sides(90, 40, 25, rng)
    assert (side.sum(axis=0) == 40).all()
    perms = [np.r_[np.flatnonzero(c == 1), np.flatnonzero(c == 0)] for c in side.T]
    np.testing.assert_allclose(
        mmd2_batched(k, side, 40), _reindexing_null(k, 40, perms), atol=1e-12
    )


def test_median_heuristic_bandwidth() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 4))
    d = sq_distances(x, x)[np.triu_indices(200, 1)]
    assert median_bandwidth(x, rng) == pytest.approx(np.sqrt(np.median(d) / 2))


def test_detects_shift_and_not_noise() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 32))
    assert hf.monitor.mmd_test(x, rng.normal(size=(300, 32))).p_value > 0.05
    assert hf.monitor.mmd_test(x, rng.normal(0.2, 1, size=(300, 32))).p_value < 0.05


def test_rejects_bad_shapes() -> None:
    with pytest.raises(hf.MonitorError, match="same number of columns"):
        hf.monitor.mmd_test(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(hf.MonitorError, match="at least 2 rows"):
        hf.monitor.mmd_test(np.zeros((1, 3)), np.zeros((5, 3)))
