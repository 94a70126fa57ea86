"""Cache and fingerprint figures, hyperflow and Hamilton side by side in one process.

Run: ``python benchmarks/bench_cache.py [--nodes 500] [--gb 1.0] [--rows 10000000]``

1. Cache-hit overhead per node on a chain of trivial nodes, both with an on-disk
   cache in a temp folder: ``(time of an all-hit run - time of an uncached
   run) / nodes``. hyperflow: ``Pipeline.run`` with the default ``DiskCache``;
   Hamilton: ``Builder().with_cache(path)``. Target: ratio <= 0.1.
2. Fingerprint throughput on a float64 array and a 10-million-row DataFrame
   (hyperflow's ``fingerprint`` vs Hamilton's ``hash_value``). Target >= 1 GB/s.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # this checkout's hyperflow

import hyperflow as hf
from hyperflow.engine import DiskCache, fingerprint


def _best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _chain_module(folder: Path, n: int) -> Any:
    lines = ["def n0(x: int) -> int:\n    return x + 1\n"]
    lines += [f"def n{i}(n{i - 1}: int) -> int:\n    return n{i - 1} + 1\n" for i in range(1, n)]
    (folder / "bench_chain_mod.py").write_text("\n\n".join(lines))
    sys.path.insert(0, str(folder))
    return importlib.import_module("bench_chain_mod")


def bench_hits(n: int, repeat: int) -> tuple[float, float]:
    """Per-node hit overhead in seconds: (hyperflow, hamilton)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20 * n))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        mod = _chain_module(folder, n)
        funcs = [getattr(mod, f"n{i}") for i in range(n)]
        last = f"n{n - 1}"

        pipe = hf.Pipeline(funcs, name="chain")
        cache = DiskCache(folder / "hf-cache")
        # track=False: run tracking (on by default inside a project) is not what is measured
        pipe.run(inputs={"x": 1}, cache=cache, track=False)  # fill
        r = pipe.run(inputs={"x": 1}, cache=cache, track=False)
        assert all(r.cache_hits.values()) and r[last] == n + 1
        hf_hit = _best(lambda: pipe.run(inputs={"x": 1}, cache=cache, track=False), repeat)
        hf_off = _best(lambda: pipe.run(inputs={"x": 1}, cache=False, track=False), repeat)
        # a new DiskCache instance per run: every look-up reads the disk (as a new process)
        fresh = lambda: pipe.run(  # noqa: E731
            inputs={"x": 1}, cache=DiskCache(folder / "hf-cache"), track=False
        )
        hf_cold = _best(fresh, repeat)

        from hamilton import driver

        logging.getLogger("hamilton").setLevel(logging.ERROR)
        plain = driver.Builder().with_modules(mod).build()
        cached = driver.Builder().with_modules(mod).with_cache(path=str(folder / "ham")).build()
        cached.execute([last], inputs={"x": 1})  # fill
        assert cached.execute([last], inputs={"x": 1})[last] == n + 1
        ham_hit = _best(lambda: cached.execute([last], inputs={"x": 1}), max(2, repeat // 3))
        ham_off = _best(lambda: plain.execute([last], inputs={"x": 1}), max(2, repeat // 3))
    hf_node = (hf_hit - hf_off) / n
    hf_cold_node = (hf_cold - hf_off) / n
    ham_node = (ham_hit - ham_off) / n
    print(f"chain of {n} nodes, all hits (disk cache), best of {repeat}")
    print(
        f"  hyperflow: hit run {hf_hit * 1e3:8.2f} ms, uncached {hf_off * 1e3:7.2f} ms, "
        f"overhead {hf_node * 1e6:7.2f} us/node"
    )
    print(
        f"  hamilton : hit run {ham_hit * 1e3:8.2f} ms, uncached {ham_off * 1e3:7.2f} ms, "
        f"overhead {ham_node * 1e6:7.2f} us/node"
    )
    print(
        f"  hyperflow, new cache instance per run (all look-ups on disk): hit run "
        f"{hf_cold * 1e3:.2f} ms, overhead {hf_cold_node * 1e6:.2f} us/node"
    )
    print(f"  ratio hyperflow/hamilton: {hf_node / ham_node:.3f}x  (target <= 0.1x)")
    print(f"  ratio hyperflow (disk look-ups)/hamilton: {hf_cold_node / ham_node:.3f}x")
    return hf_node, ham_node


def _throughput(label: str, nbytes: int, obj: Any, peer_obj: Any, peer_bytes: int) -> None:
    from hamilton.caching.fingerprinting import hash_value

    ours = _best(lambda: fingerprint(obj), 3)
    theirs = _best(lambda: hash_value(peer_obj), 1)
    ours_gbs = nbytes / ours / 1e9
    theirs_gbs = peer_bytes / theirs / 1e9
    print(f"{label}: {nbytes / 1e9:.2f} GB")
    print(f"  hyperflow fingerprint: {ours:7.3f} s = {ours_gbs:7.2f} GB/s  (target >= 1 GB/s)")
    print(
        f"  hamilton hash_value  : {theirs:7.3f} s = {theirs_gbs:7.4f} GB/s "
        f"(on {peer_bytes / 1e9:.2f} GB)"
    )
    print(f"  ratio hyperflow/hamilton throughput: {ours_gbs / theirs_gbs:.1f}x")


def bench_fingerprints(gb: float, rows: int) -> None:
    arr = np.random.default_rng(0).random(int(gb * 1e9 / 8))
    _throughput("float64 array", arr.nbytes, arr, arr, arr.nbytes)
    del arr
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "a": rng.random(rows),
            "b": rng.integers(0, 1000, rows),
            "c": rng.random(rows).astype(np.float32),
            "d": rng.random(rows) > 0.5,
            "e": pd.Series(rng.integers(0, 10**6, rows)).astype("str"),  # Arrow-backed str
        }
    )
    nbytes = int(df.memory_usage(index=True, deep=True).sum())
    peer_rows = min(rows, 1_000_000)  # Hamilton hashes row by row through a dict
    peer = df.iloc[:peer_rows]
    peer_bytes = int(peer.memory_usage(index=True, deep=True).sum())
    _throughput(
        f"DataFrame {rows:,} rows x 4 numeric + 1 str columns", nbytes, df, peer, peer_bytes
    )
    strings = df[["e"]].astype(object)
    s_bytes = int(strings.memory_usage(index=True, deep=True).sum())
    s_time = _best(lambda: fingerprint(strings), 1)
    print(
        f"DataFrame {rows:,} rows x 1 object-dtype str column, {s_bytes / 1e9:.2f} GB: "
        f"{s_time:.3f} s = {s_bytes / s_time / 1e9:.2f} GB/s"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument("--rows", type=int, default=10_000_000)
    args = ap.parse_args()
    bench_hits(args.nodes, args.repeat)
    bench_fingerprints(args.gb, args.rows)
    print(f"(python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__})")


if __name__ == "__main__":
    main()
