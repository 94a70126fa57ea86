"""Start-up time: ``import hyperflow`` and ``hyperflow --help`` (targets: < 0.3 s each).

Run: ``python benchmarks/bench_cli.py`` — prints the best of 5 wall times, minus an
empty interpreter's start-up, next to ``import mlflow`` and ``import optuna`` for scale.
"""

from __future__ import annotations

import subprocess
import sys
import time


def best(code: str, n: int = 5) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    base = best("pass")
    rows = {
        "import hyperflow": "import hyperflow",
        "hyperflow --help": "import sys; sys.argv=['hyperflow','--help']; from hyperflow.cli import main; main()",
        "import optuna (peer)": "import optuna",
        "import mlflow (peer)": "import mlflow",
    }
    print(f"interpreter start-up {base * 1000:.0f} ms (subtracted below)")
    for label, code in rows.items():
        try:
            print(f"  {label:22s} {1000 * (best(code) - base):7.0f} ms")
        except subprocess.CalledProcessError:
            print(f"  {label:22s}   (not installed)")


if __name__ == "__main__":
    main()
