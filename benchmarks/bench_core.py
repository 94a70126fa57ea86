"""Build and execute a 500-node chain: hyperflow vs Apache Hamilton vs a plain loop.

Run: ``python benchmarks/bench_core.py`` (needs the ``bench`` extra for Hamilton).
Prints µs/node for each and the ratios hyperflow / Hamilton, and exits 1 when a
ratio misses its target (build ≤ 0.2, execute ≤ 0.1). Both are measured in the
same process, one after the other, so a loaded machine slows both.
"""

from __future__ import annotations

import statistics
import sys
import time
import types
from collections.abc import Callable
from typing import Any

import hyperflow as hf

N = 500
REPEATS = 15
BUILD_TARGET = 0.2  # hyperflow / Hamilton, per-node build time
EXECUTE_TARGET = 0.1  # hyperflow / Hamilton, per-node execute time


def make_module(n: int) -> types.ModuleType:
    mod = types.ModuleType(f"chain_{n}_{time.perf_counter_ns()}")
    src = ["def n0(x: int) -> int:\n    return x + 1\n"]
    src += [f"def n{i}(n{i - 1}: int) -> int:\n    return n{i - 1} + 1\n" for i in range(1, n)]
    exec("\n".join(src), mod.__dict__)
    sys.modules[mod.__name__] = mod
    return mod


def funcs_of(mod: types.ModuleType, n: int) -> list[Callable[..., Any]]:
    return [getattr(mod, f"n{i}") for i in range(n)]


def best_us_per_node(fn: Callable[[], Any], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) / N * 1e6


def main() -> int:
    mod = make_module(N)
    fns = funcs_of(mod, N)

    # -- hyperflow
    hf_build = best_us_per_node(lambda: hf.Pipeline(fns, name="chain"))
    pipe = hf.Pipeline(fns, name="chain")
    out = f"n{N - 1}"
    assert pipe.run(inputs={"x": 0}, outputs=[out], cache=False, track=False)[out] == N
    hf_exec = best_us_per_node(
        lambda: pipe.run(inputs={"x": 0}, outputs=[out], cache=False, track=False)
    )

    # -- plain loop
    def plain() -> int:
        v = 0
        for f in fns:
            v = f(v)
        return v

    plain_exec = best_us_per_node(plain)

    # -- Hamilton
    try:
        from hamilton import driver
    except ImportError:
        print("apache-hamilton is not installed: pip install -e '.[bench]'")
        driver = None
    print(f"500-node chain (median of {REPEATS}), µs per node")
    print(f"  hyperflow build    {hf_build:8.2f}")
    print(f"  hyperflow execute  {hf_exec:8.2f}")
    print(f"  plain loop execute {plain_exec:8.2f}")
    if driver is not None:

        def ham_build() -> Any:
            return driver.Builder().with_modules(mod).build()

        ham_b = best_us_per_node(ham_build, repeats=5)
        dr = ham_build()
        assert dr.execute([out], inputs={"x": 0})[out] == N
        ham_e = best_us_per_node(lambda: dr.execute([out], inputs={"x": 0}), repeats=5)
        print(f"  Hamilton build     {ham_b:8.2f}")
        print(f"  Hamilton execute   {ham_e:8.2f}")
        build, execute = hf_build / ham_b, hf_exec / ham_e
        print(f"ratio build   hyperflow/Hamilton = {build:.3f}  (target ≤ {BUILD_TARGET})")
        print(f"ratio execute hyperflow/Hamilton = {execute:.3f}  (target ≤ {EXECUTE_TARGET})")
    print(f"ratio execute hyperflow/plain    = {hf_exec / plain_exec:.1f}")
    if driver is None:
        return 0
    return 0 if build <= BUILD_TARGET and execute <= EXECUTE_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
