"""Reference statistics are streamed: memory stays bounded by the sample size."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hyperflow as hf


def _chunks(n_chunks: int, rows: int, cols: int, seed: int) -> Iterator[pd.DataFrame]:
    rng = np.random.default_rng(seed)
    names = [f"f{i}" for i in range(cols)]
    # A few random blocks, reused, keep generation cheap; row keys sample them anew.
    blocks = [rng.standard_normal((rows, cols), dtype=np.float32) for _ in range(min(n_chunks, 8))]
    for i in range(n_chunks):
        block = blocks[i % len(blocks)].copy()
        block[:, 0] += i / n_chunks  # column f0 drifts slowly along the stream
        yield pd.DataFrame(block, columns=names, copy=False)


def test_streamed_reference_sample_is_uniform_over_chunks() -> None:
    det = hf.monitor.DriftDetector(reference_size=5_000, method="ks").fit(_chunks(20, 5_000, 3, 0))
    prof = det.profiles_["f0"]  # type: ignore[index]
    assert prof.n_rows == 100_000 and prof.sample.size == 5_000
    # f0 is uniform-in-time shifted: a uniform sample has mean ≈ 0.475 (mean of i/20).
    assert prof.sample.mean() == pytest.approx(0.475, abs=0.05)
    full = pd.concat(list(_chunks(20, 5_000, 3, 0)))
    assert stats.ks_2samp(prof.sample, full["f0"]).pvalue > 0.01


@pytest.mark.slow
def test_ten_million_by_fifty_reference_fits_in_bounded_memory() -> None:
    det = hf.monitor.DriftDetector(method="ks", reference_size=100_000)
    tracemalloc.start()
    det.fit(_chunks(100, 100_000, 50, 1))  # 10M x 50 rows: 2 GB as float32, 4 GB as float64
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert det.profiles_ is not None
    assert det.profiles_["f3"].n_rows == 10_000_000
    assert peak < 400 * 1024**2, f"peak {peak / 1024**2:.0f} MiB"
    cur = next(_chunks(1, 50_000, 50, 2))
    rep = det.score(cur)
    assert rep.columns["f0"].drifted  # chunk 0 sits below the stream's average f0
    assert sum(rep.columns[f"f{i}"].drifted for i in range(1, 50)) <= 3
