"""Scoring one current window, column by column, against reference profiles."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from hyperflow.monitor._columns import label_counts, to_float, to_matrix
from hyperflow.monitor._mmd import mmd_test, random_projection
from hyperflow.monitor._reference import ColumnProfile
from hyperflow.monitor._report import ColumnDrift
from hyperflow.monitor._stattests import (
    N_THREADS,
    bin_shares,
    chi2_homogeneity,
    jensen_shannon,
    ks_pvalue,
    ks_statistic_sorted,
    psi,
    quantile_edges,
    wasserstein_sorted,
)

if TYPE_CHECKING:
    from hyperflow.monitor._detector import DriftDetector

__all__ = [
    "DEFAULT_THRESHOLDS",
    "MISSING_RATE_MIN_CHANGE",
    "PLOT_BINS",
    "TOP_CATEGORIES",
    "Context",
    "FloatArray",
    "score_categorical",
    "score_embedding",
    "score_numeric",
]

FloatArray = npt.NDArray[np.float64]

#: Distance thresholds (Evidently's defaults).
DEFAULT_THRESHOLDS = {"wasserstein": 0.1, "psi": 0.1, "jensenshannon": 0.1}
#: The NaN/inf rate drifted when it changed by more than this and significantly.
MISSING_RATE_MIN_CHANGE = 0.01
#: Histogram bins and top categories shown in reports.
PLOT_BINS = 20
TOP_CATEGORIES = 20


@dataclass
class Context:
    """What column scorers need from the detector."""

    det: DriftDetector
    n_current: int

    def threshold(self, method: str) -> float:
        return float(self.det.thresholds.get(method, DEFAULT_THRESHOLDS.get(method, 0.1)))


def _rates(entry: ColumnDrift, prof: ColumnProfile, n_rows: int, n_nan: int, n_inf: int) -> None:
    entry.reference_nan_rate = prof.n_nan / prof.n_rows if prof.n_rows else 0.0
    entry.reference_inf_rate = prof.n_inf / prof.n_rows if prof.n_rows else 0.0
    entry.nan_rate = n_nan / n_rows if n_rows else 0.0
    entry.inf_rate = n_inf / n_rows if n_rows else 0.0
    ref_bad, cur_bad = prof.n_nan + prof.n_inf, n_nan + n_inf
    if prof.n_rows and n_rows and (ref_bad or cur_bad):
        _, p = chi2_homogeneity(
            np.array([prof.n_rows - ref_bad, ref_bad], float),
            np.array([n_rows - cur_bad, cur_bad], float),
        )
        change = abs(cur_bad / n_rows - ref_bad / prof.n_rows)
        entry.missing_rate_drifted = p < 0.05 and change > MISSING_RATE_MIN_CHANGE


def _histogram(ref: FloatArray, cur: FloatArray) -> dict[str, list[Any]]:
    """Shares of two sorted samples in equal-width bins over the reference's 0.5-99.5 %."""
    last = ref.size - 1
    lo, hi = float(ref[round(0.005 * last)]), float(ref[round(0.995 * last)])
    if hi <= lo:
        lo, hi = float(ref[0]) - 0.5, float(ref[0]) + 0.5
    edges = np.linspace(lo, hi, PLOT_BINS + 1)[1:-1]
    labels = [f"< {edges[0]:.4g}"]
    labels += [f"{a:.4g} – {b:.4g}" for a, b in itertools.pairwise(edges)]
    labels.append(f"≥ {edges[-1]:.4g}")
    return {
        "labels": labels,
        "reference": [round(float(v), 6) for v in bin_shares(ref, edges)],
        "current": [round(float(v), 6) for v in bin_shares(cur, edges)],
    }


def _numeric_column(ctx: Context, prof: ColumnProfile, col: Any) -> ColumnDrift:
    det = ctx.det
    entry = ColumnDrift(prof.name, "numeric", n_reference=prof.n_finite)
    vals = to_float(col)
    if vals is None:
        entry.status = "type_mismatch"
        entry.reason = f"reference column {prof.name!r} is numeric, the current one is not"
        entry.severity = np.inf
        return entry
    # Sorting puts -inf first and +inf, then NaN, last: the finite values are a slice.
    ordered = np.sort(vals)
    n_neg = int(np.searchsorted(ordered, -np.inf, side="right"))
    n_num = int(np.searchsorted(ordered, np.inf, side="right"))
    n_pos = n_num - int(np.searchsorted(ordered, np.inf, side="left"))
    _rates(entry, prof, vals.size, vals.size - n_num, n_neg + n_pos)
    cur = ordered[n_neg : n_num - n_pos]
    ref = prof.sample
    entry.n_current = int(cur.size)
    if ref.size == 0:
        entry.status, entry.reason = "empty_reference", "no finite reference values"
        return entry
    if cur.size == 0:
        entry.status, entry.reason = "empty", "no finite values in the current window"
        return entry
    method = det.method_for(prof.name, "numeric")
    if method == "auto":
        small = prof.n_finite <= det.large_sample
        method = "ks" if small else "wasserstein"
        rel = "<=" if small else ">"
        entry.reason = (
            f"auto: numeric, {prof.n_finite} reference values {rel} {det.large_sample} -> {method}"
        )
    else:
        entry.reason = f"method={method!r}"
    if ref[0] == ref[-1]:
        entry.status = "constant"
        entry.reason += f"; the reference is constant ({ref[0]:.6g})"
    entry.test = method
    if method == "ks":
        d = ks_statistic_sorted(ref, cur)
        entry.statistic = d
        entry.p_value, how = ks_pvalue(d, ref.size, cur.size, ref, cur)
        entry.reason += f"; {how} p-value"
    elif method == "wasserstein":
        std = float(np.std(ref))
        w = wasserstein_sorted(ref, cur)
        entry.statistic = w
        entry.score = w / std if std > 0 else w
        entry.threshold = ctx.threshold("wasserstein")
        entry.reason += "; distance / reference std"
    else:
        edges = quantile_edges(ref, det.n_bins)
        entry.statistic = entry.score = psi(bin_shares(ref, edges), bin_shares(cur, edges))
        entry.threshold = ctx.threshold("psi")
        entry.reason += f"; {edges.size + 1} reference-quantile bins"
    entry.summary = _histogram(ref, cur)
    return entry


def score_numeric(
    ctx: Context, profiles: list[ColumnProfile], cols: dict[str, Any]
) -> dict[str, ColumnDrift]:
    """Score all numeric columns, spreading columns over a thread pool."""
    if len(profiles) < 4:
        out = [_numeric_column(ctx, p, cols[p.name]) for p in profiles]
    else:
        with ThreadPoolExecutor(max_workers=N_THREADS) as pool:
            out = list(pool.map(lambda p: _numeric_column(ctx, p, cols[p.name]), profiles))
    return {e.name: e for e in out}


def score_categorical(ctx: Context, prof: ColumnProfile, col: Any) -> ColumnDrift:
    """Score one categorical column (unseen categories are drift evidence)."""
    det = ctx.det
    entry = ColumnDrift(prof.name, "categorical", n_reference=prof.n_finite)
    counts, n_missing = label_counts(col)
    n_rows = len(col)
    _rates(entry, prof, n_rows, n_missing, 0)
    entry.n_current = n_rows - n_missing
    if prof.n_finite == 0:
        entry.status, entry.reason = "empty_reference", "no reference values"
        return entry
    if entry.n_current == 0:
        entry.status, entry.reason = "empty", "no values in the current window"
        return entry
    cats = sorted(set(prof.counts) | set(counts), key=lambda c: -prof.counts.get(c, 0))
    ref_c = np.array([prof.counts.get(c, 0) for c in cats], float)
    cur_c = np.array([counts.get(c, 0) for c in cats], float)
    method = det.method_for(prof.name, "categorical")
    if method == "auto":
        small = prof.n_finite <= det.large_sample
        method = "chi2" if small else "jensenshannon"
        rel = "<=" if small else ">"
        entry.reason = (
            f"auto: categorical, {prof.n_finite} reference values {rel} {det.large_sample} "
            f"-> {method}"
        )
    else:
        entry.reason = f"method={method!r}"
    unseen = [c for c in cats if prof.counts.get(c, 0) == 0]
    if unseen:
        entry.reason += f"; unseen in reference: {', '.join(unseen[:5])}"
    if len(prof.counts) == 1:
        entry.status = "constant"
    entry.test = method
    ref_s, cur_s = ref_c / ref_c.sum(), cur_c / cur_c.sum()
    if method == "chi2":
        entry.statistic, entry.p_value = chi2_homogeneity(ref_c, cur_c)
    elif method == "psi":
        entry.statistic = entry.score = psi(ref_s, cur_s)
        entry.threshold = ctx.threshold("psi")
    else:
        entry.statistic = entry.score = jensen_shannon(ref_s, cur_s)
        entry.threshold = ctx.threshold("jensenshannon")
    top = sorted(range(len(cats)), key=lambda i: -(ref_s[i] + cur_s[i]))[:TOP_CATEGORIES]
    labels = [cats[i] for i in top]
    rs, cs = [float(ref_s[i]) for i in top], [float(cur_s[i]) for i in top]
    if len(cats) > TOP_CATEGORIES:
        labels.append("(other)")
        rs.append(1.0 - sum(rs))
        cs.append(1.0 - sum(cs))
    entry.summary = {
        "labels": labels,
        "reference": [round(v, 6) for v in rs],
        "current": [round(v, 6) for v in cs],
    }
    return entry


def score_embedding(ctx: Context, prof: ColumnProfile, col: Any) -> ColumnDrift:
    """Score one embedding column with the MMD permutation test."""
    det = ctx.det
    entry = ColumnDrift(prof.name, "embedding", n_reference=int(prof.vectors.shape[0]))
    mat = to_matrix(col, prof.name)
    ref = prof.vectors
    if mat is None or (mat.size and ref.size and mat.shape[1] != ref.shape[1]):
        entry.status = "type_mismatch"
        entry.reason = f"expected vectors of length {ref.shape[1] if ref.size else '?'}"
        entry.severity = np.inf
        return entry
    ok = np.isfinite(mat).all(axis=1) if mat.size else np.zeros(len(mat), bool)
    _rates(entry, prof, len(mat), int(len(mat) - ok.sum()), 0)
    cur = mat[ok]
    entry.n_current = int(cur.shape[0])
    if ref.shape[0] < 2:
        entry.status, entry.reason = "empty_reference", "fewer than 2 reference vectors"
        return entry
    if cur.shape[0] < 2:
        entry.status, entry.reason = "empty", "fewer than 2 vectors in the current window"
        return entry
    rng = np.random.default_rng(det.seed)
    if cur.shape[0] > det.embedding_size:
        cur = cur[rng.choice(cur.shape[0], det.embedding_size, replace=False)]
    method = det.method_for(prof.name, "embedding")
    entry.reason = "auto: embedding -> mmd" if method == "auto" else "method='mmd'"
    if det.projection is not None and ref.shape[1] > det.projection:
        proj = random_projection(ref.shape[1], det.projection, det.seed)
        ref, cur = ref @ proj, cur @ proj
        entry.reason += f"; random projection to {det.projection} dimensions"
    entry.test = "mmd"
    res = mmd_test(ref, cur, n_permutations=det.n_permutations, seed=det.seed)
    entry.statistic, entry.p_value = res.statistic, res.p_value
    entry.reason += f"; Gaussian kernel, median-heuristic sigma={res.bandwidth:.4g}"
    direction = cur.mean(axis=0) - ref.mean(axis=0)
    norm = float(np.linalg.norm(direction))
    if norm > 0:
        pr, pc = np.sort(ref @ direction / norm), np.sort(cur @ direction / norm)
        entry.summary = _histogram(pr, pc)
        entry.summary["axis"] = ["projection on the mean shift"]
    return entry
