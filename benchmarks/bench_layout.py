"""Layout quality and speed: our pure-Python layered layout next to Graphviz ``dot``.

For each pipeline, both layouts are drawn from the same ``graph_view`` (ours
through ``Pipeline.visualize``, dot's from ``Pipeline.to_dot`` with the same
clusters), and edge crossings are counted the same way on the drawn curves
(``benchmarks/svg_geometry.py``). Also times our layout of 500 nodes.

Run: ``python benchmarks/bench_layout.py`` (needs the ``dot`` binary, e.g.
``apt-get install graphviz``; the library itself never does).
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

sys.path[:0] = [
    str(Path(__file__).resolve().parents[1]),
    str(Path(__file__).resolve().parents[1] / "src"),
]

from benchmarks.layout_pipelines import SAMPLES, random_dag, sample  # noqa: E402
from benchmarks.svg_geometry import count_crossings, dot_edges, svg_edges  # noqa: E402

TARGET_RATIO = 1.2
NODE = 'class="hf-node"'


def main() -> int:
    if shutil.which("dot") is None:
        print("Graphviz `dot` not found: apt-get install -y graphviz (benchmark only)")
        return 2
    print(f"{'pipeline':<16}{'nodes':>6}{'edges':>6}{'ours':>6}{'dot':>6}{'ratio':>7}"
          f"{'ours ms':>9}{'dot ms':>8}")  # fmt: skip
    worst = 0.0
    sum_ours = sum_dot = 0
    for name in SAMPLES:
        pipeline, kw = sample(name)
        t0 = time.perf_counter()
        fig = pipeline.visualize(**kw)
        ours_ms = (time.perf_counter() - t0) * 1e3
        ours = svg_edges(fig.svg)
        dot_src = pipeline.to_dot(**kw)
        t0 = time.perf_counter()
        theirs = dot_edges(dot_src)
        dot_ms = (time.perf_counter() - t0) * 1e3
        c_ours, c_dot = count_crossings(ours), count_crossings(theirs)
        sum_ours += c_ours
        sum_dot += c_dot
        ratio = c_ours / c_dot if c_dot else (1.0 if c_ours == 0 else float("inf"))
        worst = max(worst, ratio)
        print(f"{name:<16}{fig.svg.count(NODE):>6}{len(ours):>6}"
              f"{c_ours:>6}{c_dot:>6}{ratio:>7.2f}{ours_ms:>9.1f}{dot_ms:>8.1f}")  # fmt: skip
    print(f"total crossings: ours {sum_ours}, dot {sum_dot}; worst ratio {worst:.2f} "
          f"(target <= {TARGET_RATIO})")  # fmt: skip
    for n in (500, 1000):
        big = random_dag(n, seed=7)
        t0 = time.perf_counter()
        big.visualize()
        secs = time.perf_counter() - t0
        t0 = time.perf_counter()
        dot_edges(big.to_dot())
        dsecs = time.perf_counter() - t0
        print(f"{n} nodes: ours {secs:.2f} s (layout + SVG; target < 2 s), dot {dsecs:.2f} s")
    return 0 if worst <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
