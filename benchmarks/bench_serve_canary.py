"""Per-request overhead of a 90/10 canary split in the server vs a single version.

Run: ``python benchmarks/bench_serve_canary.py [--duration 10] [--rounds 3]`` (needs
Debian's ``wrk``; the model is bench_serve's LogisticRegression on seattle-weather).

Two uvicorn servers (one worker each, 127.0.0.1) serve ``weather@production`` from their own
registry: one without a traffic policy, one with ``{"production": 90, "candidate": 10}``
(a second fitted version, loaded next to the first). ``wrk -t2 -c32`` measures each alone,
alternating which goes first round by round; the median round counts. Target: canary p50 <= 1.1x single.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_serve import DAY, ROOT, Server, lua_script, wrk


def _store(canary: bool) -> dict[str, str]:
    """A fresh registry holding the two versions (and the policy, for the canary)."""
    home = Path(tempfile.mkdtemp(prefix="hf-canary-"))
    env = {
        "HYPERFLOW_STORE": f"sqlite:///{home}/hyperflow.db",
        "HYPERFLOW_ARTIFACTS": str(home / "artifacts"),
        "HYPERFLOW_TRUSTED_MODULES": "benchmarks",
    }
    code = f"from benchmarks._canary_apps import prepare; prepare({canary})"
    subprocess.run(
        [sys.executable, "-c", code], cwd=home, check=True,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", **env},
    )
    return env


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("bench_serve_canary needs wrk: apt-get install -y wrk")
    script = lua_script([DAY])
    envs = {"single": _store(False), "canary 90/10": _store(True)}
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in envs}
    for i in range(args.rounds):
        for label, env in sorted(envs.items(), reverse=i % 2 == 1):  # alternate who goes first
            server = Server("benchmarks._canary_apps:app", env)
            try:
                wrk(server.url, script, 2)  # warm-up
                runs[label].append(wrk(server.url, script, args.duration))
                if label != "single":
                    assert '"canary"' in server.get("/version"), "the policy was not applied"
            finally:
                server.stop()
    for label, rs in runs.items():
        if any(x["non2xx"] or x["errors"] for x in rs):
            raise SystemExit(f"{label}: some responses were not 2xx or sockets failed: {rs}")
    med = {k: {m: statistics.median(r[m] for r in rs) for m in ("rps", "p50", "p99")}
           for k, rs in runs.items()}
    print(f"\n== canary overhead: wrk -t2 -c32, {args.rounds} x {args.duration:.0f} s, median ==")
    for label, m in med.items():
        print(f"{label:13s} {m['rps']:8.0f} req/s  p50 {m['p50']:7.2f} ms  p99 {m['p99']:7.2f} ms")
    single, canary = med["single"], med["canary 90/10"]
    ratio = canary["p50"] / single["p50"]
    print(
        f"ratio canary/single: p50 {ratio:.2f}x (target <= 1.1x), "
        f"p99 {canary['p99'] / single['p99']:.2f}x, throughput {canary['rps'] / single['rps']:.2f}x"
    )


if __name__ == "__main__":
    main()
