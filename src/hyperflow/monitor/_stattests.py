"""Two-sample tests and distances, vectorized over columns.

Numeric columns arrive as *sorted* finite samples (the reference is sorted once
at fit time); categorical columns as aligned count vectors. Every function here
is pure numpy/scipy and returns plain floats, so the detector can assemble
reports without knowing how a statistic was computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
from scipy import special, stats

__all__ = [
    "KS_EXACT_MAX_PRODUCT",
    "N_THREADS",
    "PSI_EPS",
    "FloatArray",
    "adjust_pvalues",
    "bin_shares",
    "chi2_homogeneity",
    "jensen_shannon",
    "ks_pvalue",
    "ks_statistic_sorted",
    "map_columns",
    "pelz_good_sf",
    "psi",
    "quantile_edges",
    "wasserstein_sorted",
]

FloatArray = npt.NDArray[np.float64]

#: Above this product of sample sizes the KS p-value is asymptotic (Smirnov).
KS_EXACT_MAX_PRODUCT = 250_000
#: Share floor used by PSI for empty bins (the convention of Evidently/NannyML).
PSI_EPS = 1e-4
#: Worker threads for per-column numpy work (numpy releases the GIL while sorting).
N_THREADS = 2


def ks_statistic_sorted(ref: FloatArray, cur: FloatArray) -> float:
    """Two-sided KS statistic of two sorted, finite, non-empty samples.

    Equal to ``scipy.stats.ks_2samp(ref, cur).statistic``, computed in integer
    arithmetic from one ``searchsorted`` and a count (a second search only when
    both samples share values); no concatenation, no re-sort.
    """
    m, n = ref.size, cur.size
    a = np.searchsorted(ref, cur, side="right")
    hit = a > 0
    if bool((ref[a[hit] - 1] == cur[hit]).any()):  # values shared by both samples
        b = np.searchsorted(cur, ref, side="right").astype(np.int64)
    else:  # #{cur <= ref_j} by counting, without a second binary search
        b = np.cumsum(np.bincount(a, minlength=m + 1)[:m])
    a = a.astype(np.int64, copy=False)
    # n*m*(F_ref - F_cur) at each current point and each reference point.
    a *= n
    a -= np.arange(1, n + 1, dtype=np.int64) * m
    b *= m
    b -= np.arange(1, m + 1, dtype=np.int64) * n
    b = -b
    if n > 1 and bool((cur[1:] == cur[:-1]).any()):
        a = a[np.append(cur[1:] != cur[:-1], True)]  # ECDF value at the end of a tie
    if m > 1 and bool((ref[1:] == ref[:-1]).any()):
        b = b[np.append(ref[1:] != ref[:-1], True)]
    top = max(int(a.max()), int(-a.min()), int(b.max()), int(-b.min()), 0)
    return top / (m * n)


def ks_pvalue(d: float, m: int, n: int, ref: FloatArray, cur: FloatArray) -> tuple[float, str]:
    """P-value of the two-sided KS statistic ``d``; exact for small samples.

    Small samples (``m * n <= KS_EXACT_MAX_PRODUCT``) get scipy's exact
    distribution. Larger ones get scipy's asymptotic choice, ``kstwo.sf(d,
    round(m n / (m + n)))``; above 1,000 effective rows, where scipy evaluates
    it with Durbin's matrix or Smirnov's sum (tens of ms per call), the
    Pelz-Good series (or, for p < 1e-15, the Kolmogorov limit) is used instead:
    it agrees with scipy to 1e-7.

    Returns the p-value and the method used (``"exact"`` or ``"asymptotic"``).
    """
    if m * n <= KS_EXACT_MAX_PRODUCT:
        return float(stats.ks_2samp(ref, cur, method="exact").pvalue), "exact"
    en = float(np.round(m * n / (m + n)))
    t = en * d
    if en > 1000 and t > 1.0 and d < 0.5:
        if t * d < 18.0:
            return float(np.clip(pelz_good_sf(en, d), 0.0, 1.0)), "asymptotic"
        return float(special.kolmogorov(math.sqrt(en) * d)), "asymptotic"  # p < 1e-15
    return float(np.clip(stats.kstwo.sf(d, en), 0.0, 1.0)), "asymptotic"


def pelz_good_sf(n: float, x: float) -> float:
    """Pelz-Good (1976) approximation of ``P(D_n > x)`` for the one-sample KS statistic.

    A port of scipy's ``_kolmogn_PelzGood`` (Simard & L'Ecuyer 2011).
    """
    z = math.sqrt(n) * x
    z2 = z * z
    qlog = -(math.pi**2) / 8 / z2
    if qlog < -708.0:
        return 1.0
    q = math.exp(qlog)
    pi2, pi4, pi6 = math.pi**2, math.pi**4, math.pi**6
    k1a, k1b = -z2, pi2 / 4
    k2a, k2b, k2c = 6 * z**6 + 2 * z**4, (2 * z**4 - 5 * z2) * pi2 / 4, pi4 * (1 - 2 * z2) / 16
    k3d = pi6 * (5 - 30 * z2) / 64
    k3c = pi4 * (-60 * z2 + 212 * z**4) / 16
    k3b = pi2 * (135 * z**4 - 96 * z**6) / 4
    k3a = -30 * z**6 - 90 * z**8
    acc = np.zeros(4)
    maxk = math.ceil(16 * z / math.pi)
    for k in range(maxk, 0, -1):
        m2 = (2 * k - 1) ** 2
        coeffs = np.array(
            [
                1.0,
                k1a + k1b * m2,
                k2a + k2b * m2 + k2c * m2 * m2,
                k3a + k3b * m2 + k3c * m2 * m2 + k3d * m2**3,
            ]
        )
        acc = acc * q ** (8 * k) + coeffs
    acc *= q * math.sqrt(2 * math.pi)
    acc /= np.array([z, 6 * z**4, 72 * z**7, 6480 * z**10])
    q2 = math.exp(-pi2 / 2 / z2)
    ks = np.arange(maxk, 0, -1, dtype=np.float64)
    ksq = ks**2
    qp = q2**ksq
    acc[2] += float(np.sum(ksq * qp)) * pi2 * math.sqrt(2 * math.pi) / (-36 * z**3)
    s3z, kpi = math.sqrt(3) * z, math.pi * ks
    k3extra = float(np.sum((s3z + kpi) * (s3z - kpi) * ksq * qp))
    acc[3] += k3extra * pi2 * math.sqrt(2 * math.pi) / (216 * z**6)
    acc /= np.power(n, np.arange(4) / 2.0)
    return float(1.0 - acc.sum())


def wasserstein_sorted(ref: FloatArray, cur: FloatArray) -> float:
    """First Wasserstein distance of two sorted finite samples (as in scipy)."""
    allv = np.concatenate([ref, cur])
    allv.sort(kind="mergesort")
    deltas = np.diff(allv)
    cdf_r = np.searchsorted(ref, allv[:-1], side="right") / ref.size
    cdf_c = np.searchsorted(cur, allv[:-1], side="right") / cur.size
    return float(np.sum(np.abs(cdf_r - cdf_c) * deltas))


def map_columns(fn: Callable[..., float], *arrays: Sequence[FloatArray]) -> list[float]:
    """Apply ``fn`` column-wise over aligned sequences of arrays on a thread pool."""
    if len(arrays[0]) < 4:
        return [fn(*args) for args in zip(*arrays, strict=True)]
    with ThreadPoolExecutor(max_workers=N_THREADS) as pool:
        return list(pool.map(fn, *arrays))


def quantile_edges(sample: FloatArray, n_bins: int) -> FloatArray:
    """Inner bin edges at the reference quantiles (duplicates removed)."""
    if sample.size == 0:
        return np.empty(0)
    qs = np.quantile(sample, np.linspace(0, 1, n_bins + 1)[1:-1])
    return np.unique(qs)


def bin_shares(sorted_sample: FloatArray, inner_edges: FloatArray) -> FloatArray:
    """Share of a sorted sample in each bin ``(-inf, e0], (e0, e1], ..., (ek, inf)``."""
    counts = np.diff(
        np.concatenate(
            [[0], np.searchsorted(sorted_sample, inner_edges, side="right"), [sorted_sample.size]]
        )
    )
    return counts / max(sorted_sample.size, 1)


def psi(ref_share: FloatArray, cur_share: FloatArray) -> float:
    """Population stability index of two share vectors (empty bins floored at 1e-4)."""
    r = np.clip(ref_share, PSI_EPS, None)
    c = np.clip(cur_share, PSI_EPS, None)
    return float(np.sum((c - r) * np.log(c / r)))


def jensen_shannon(ref_share: FloatArray, cur_share: FloatArray) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1]) of two share vectors."""
    m = 0.5 * (ref_share + cur_share)

    def _kl(p: FloatArray) -> float:
        mask = p > 0
        return float(np.sum(p[mask] * np.log2(p[mask] / m[mask])))

    return math.sqrt(max(0.5 * _kl(ref_share) + 0.5 * _kl(cur_share), 0.0))


def chi2_homogeneity(ref_counts: FloatArray, cur_counts: FloatArray) -> tuple[float, float]:
    """Chi-square test of homogeneity on the 2 x K table of category counts.

    Categories seen only in the current window enter the table with a
    reference count of zero, so they raise the statistic instead of failing.
    Equal to ``scipy.stats.chi2_contingency(table, correction=False)``.
    """
    table = np.vstack([ref_counts, cur_counts]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    stat = float(np.sum((table - expected) ** 2 / expected))
    dof = table.shape[1] - 1
    return stat, float(stats.chi2.sf(stat, dof))


def adjust_pvalues(pvalues: Sequence[float], method: str) -> list[float]:
    """Correct p-values for multiple testing: ``none``, ``bonferroni`` or ``fdr`` (BH)."""
    p = np.asarray(pvalues, dtype=np.float64)
    k = p.size
    if k == 0 or method == "none":
        return [float(v) for v in p]
    if method == "bonferroni":
        return [float(v) for v in np.minimum(p * k, 1.0)]
    order = np.argsort(p)
    ranked = p[order] * k / np.arange(1, k + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(k)
    out[order] = np.minimum(ranked, 1.0)
    return [float(v) for v in out]
