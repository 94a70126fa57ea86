"""Maximum mean discrepancy permutation test, with all permutations batched.

alibi-detect re-indexes the pooled kernel matrix once per permutation
(``K[perm][:, perm]``), which copies N x N numbers each time. Here every
permutation is a column of an indicator matrix ``A`` (1 = "reference side"),
and the three block sums of every permutation come from one matrix product
``K @ A`` and one column-wise dot product, giving identical statistics.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from hyperflow._errors import MonitorError

__all__ = [
    "BANDWIDTH_SAMPLE",
    "DEFAULT_PERMUTATIONS",
    "FloatArray",
    "MMDResult",
    "median_bandwidth",
    "mmd2_batched",
    "mmd2_from_sums",
    "mmd_test",
    "permutation_sides",
    "random_projection",
    "sq_distances",
]

FloatArray = npt.NDArray[np.float64]

#: Default number of permutations of the MMD test.
DEFAULT_PERMUTATIONS = 100
#: Pooled points used to estimate the median-heuristic bandwidth.
BANDWIDTH_SAMPLE = 1000


class MMDResult(NamedTuple):
    """Result of :func:`mmd_test`: unbiased MMD², permutation p-value, bandwidth."""

    statistic: float
    p_value: float
    bandwidth: float


def sq_distances(x: FloatArray, y: FloatArray) -> FloatArray:
    """Squared Euclidean distances between the rows of ``x`` and ``y``."""
    xx = np.einsum("ij,ij->i", x, x)
    yy = xx if y is x else np.einsum("ij,ij->i", y, y)
    out: FloatArray = x @ y.T  # in place from here: N x N temporaries are large
    out *= -2.0
    out += xx[:, None]
    out += yy[None, :]
    np.maximum(out, 0.0, out=out)
    return out


def median_bandwidth(pooled: FloatArray, rng: np.random.Generator) -> float:
    """Median heuristic: sigma with ``2 sigma² = median`` of pooled squared distances."""
    if pooled.shape[0] > BANDWIDTH_SAMPLE:
        pooled = pooled[rng.choice(pooled.shape[0], BANDWIDTH_SAMPLE, replace=False)]
    return _median_sigma(sq_distances(pooled, pooled))


def _median_sigma(d: FloatArray) -> float:
    off = d[np.triu_indices(d.shape[0], k=1)]
    med = float(np.median(off)) if off.size else 0.0
    return float(np.sqrt(med / 2.0)) if med > 0 else 1.0


def mmd2_from_sums(kxx: FloatArray, kyy: FloatArray, kxy: FloatArray, n: int, m: int) -> FloatArray:
    """Unbiased MMD² from block sums (diagonals of the Gaussian kernel are 1)."""
    out: FloatArray = (kxx - n) / (n * (n - 1)) + (kyy - m) / (m * (m - 1)) - 2.0 * kxy / (n * m)
    return out


def mmd_test(
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    *,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    bandwidth: float | None = None,
    seed: int = 0,
) -> MMDResult:
    """Two-sample MMD test with a Gaussian kernel and a permutation p-value.

    Args:
        reference: 2-D array ``(n, d)`` of reference vectors.
        current: 2-D array ``(m, d)`` of current vectors.
        n_permutations: permutations of the pooled sample for the null.
        bandwidth: kernel sigma; ``None`` uses the median heuristic on the pooled data.
        seed: seed of the permutations (the result is reproducible).

    Returns:
        ``MMDResult(statistic, p_value, bandwidth)``; ``p_value`` is
        ``(1 + #{null >= observed}) / (1 + n_permutations)``.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> x, y = rng.normal(size=(100, 5)), rng.normal(0.5, 1, size=(100, 5))
        >>> mmd_test(x, y, n_permutations=50).p_value < 0.05
        True
    """
    x = np.asarray(reference, dtype=np.float64)
    y = np.asarray(current, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise MonitorError(
            f"mmd_test expects two 2-D arrays with the same number of columns, got shapes "
            f"{x.shape} and {y.shape}; pass one vector per row."
        )
    n, m = x.shape[0], y.shape[0]
    if n < 2 or m < 2:
        raise MonitorError(f"mmd_test needs at least 2 rows on each side, got {n} and {m}.")
    rng = np.random.default_rng(seed)
    pooled = np.vstack([x, y])
    k = sq_distances(pooled, pooled)  # symmetric product: BLAS syrk
    if bandwidth is not None:
        sigma = bandwidth
    elif pooled.shape[0] <= BANDWIDTH_SAMPLE:
        sigma = _median_sigma(k)
    else:
        sigma = median_bandwidth(pooled, rng)
    k *= -1.0 / (2.0 * sigma * sigma)
    np.exp(k, out=k)
    side = permutation_sides(n + m, n, n_permutations, rng)
    stats = mmd2_batched(k, side, n)
    observed = float(stats[0])
    p = (1.0 + float(np.sum(stats[1:] >= observed))) / (1.0 + n_permutations)
    return MMDResult(observed, p, float(sigma))


def permutation_sides(
    total: int, n: int, n_permutations: int, rng: np.random.Generator
) -> FloatArray:
    """Indicator matrix ``(total, 1 + n_permutations)``: 1 marks the reference side.

    Column 0 is the observed split (the first ``n`` rows); every other column
    puts a uniformly random subset of ``n`` rows on the reference side.
    """
    side = np.zeros((total, n_permutations + 1))
    side[:n, 0] = 1.0
    keys = rng.random((total, n_permutations))
    idx = np.argpartition(keys, n - 1, axis=0)[:n]
    np.put_along_axis(side[:, 1:], idx, 1.0, axis=0)
    return side


def mmd2_batched(k: FloatArray, side: FloatArray, n: int) -> FloatArray:
    """Unbiased MMD² of every split in ``side`` from one product ``K @ side``."""
    m = k.shape[0] - n
    row_sums = k.sum(axis=1)
    ka = k @ side
    kxx = np.einsum("ij,ij->j", side, ka)
    kx_all = side.T @ row_sums
    kxy = kx_all - kxx
    kyy = row_sums.sum() - 2.0 * kx_all + kxx
    return mmd2_from_sums(kxx, kyy, kxy, n, m)


def random_projection(dim: int, out_dim: int, seed: int) -> FloatArray:
    """Gaussian random projection matrix ``(dim, out_dim)`` scaled by ``1/sqrt(out_dim)``."""
    rng = np.random.default_rng(seed)
    out: FloatArray = rng.normal(size=(dim, out_dim)) / np.sqrt(out_dim)
    return out
