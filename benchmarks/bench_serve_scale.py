"""Scaling out `hyperflow serve`: --workers 2 vs 1, and the response cache's hit vs miss.

Run: ``python benchmarks/bench_serve_scale.py [--duration 10] [--rounds 2] [--skip-cache]``
(needs Debian's ``wrk``, PostgreSQL at ``HYPERFLOW_TEST_POSTGRES_URL`` and, for the
Redis figures, ``redis-server``).

The seattle-weather LogisticRegression is registered in a fresh PostgreSQL schema
and served by ``hyperflow serve weather@production`` (the real CLI, metrics and the
prediction log on, the log on PostgreSQL), measured by ``wrk -t2 -c32``; the
configurations alternate round by round and the median round counts.

1. ``--workers 2`` vs ``--workers 1``: req/s ratio (target >= 1.6x; on a 2-core
   machine wrk, PostgreSQL and the workers share the same two cores). After all
   rounds the rows logged equal the 2xx responses the servers counted.
2. Response cache (``--cache memory`` and ``--cache redis://``) on a slower model (a
   300-tree random forest on the same data): every request the same row (all hits
   after the first) vs every row new (all misses), next to no cache.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from benchmarks.bench_serve import DAY, free_port, lua_script, wrk  # noqa: E402

MISS_LUA = """
request = function()
  local body = string.format(
    '{"precipitation": %.9f, "temp_max": %.9f, "temp_min": 5.0, "wind": 4.7}',
    math.random() * 10, math.random() * 30)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
"""


class Served:
    """``hyperflow serve weather@production ARGS`` from the project folder."""

    def __init__(self, folder: Path, args: list[str], env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        model = "weather@production"
        if "--model" in args:  # this script's own option: which registered model
            at = args.index("--model")
            model, args = args[at + 1], args[:at] + args[at + 2 :]
        cmd = [sys.executable, "-m", "hyperflow", "serve", model]
        cmd += ["--port", str(self.port), "--no-access-log", "--log-level", "warning", *args]
        self.proc = subprocess.Popen(cmd, cwd=folder, env=env)
        workers = int(args[args.index("--workers") + 1]) if "--workers" in args else 1
        deadline = time.monotonic() + 180
        while self._workers() < workers:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"hyperflow serve {args} did not start")
            time.sleep(0.3)

    def _workers(self) -> int:
        try:
            text = self.metrics()
        except OSError:
            return 0
        found = re.search(r"^hyperflow_workers (\S+)", text, re.M)
        return int(float(found.group(1))) if found else 1

    def metrics(self) -> str:
        with urllib.request.urlopen(self.url + "/metrics", timeout=10) as r:
            return str(r.read().decode())

    def served_2xx(self) -> float:
        """2xx answers counted, once requests wrk left in flight have finished."""
        pattern = r'hyperflow_requests_total\{method="POST",route="/predict",status="2\d\d"\} (\S+)'
        last = -1.0
        while True:
            now = sum(float(v) for v in re.findall(pattern, self.metrics()))
            if now == last:
                return now
            last = now
            time.sleep(1.0)

    def stop(self) -> None:
        self.proc.terminate()  # graceful: every worker drains and flushes its log
        self.proc.wait(120)


def _measure(folder: Path, args: list[str], env: dict[str, str], script: str, s: float) -> dict:
    server = Served(folder, args, env)
    try:
        wrk(server.url, script, 2)  # warm-up
        result = wrk(server.url, script, s)
        result["served"] = server.served_2xx()
    finally:
        server.stop()
    return result


def _rounds(
    configs: dict[str, list[str]],
    folder: Path,
    env: dict[str, str],
    scripts: dict[str, str],
    seconds: float,
    rounds: int,
) -> dict[str, dict[str, float]]:
    runs: dict[str, list[dict]] = {name: [] for name in configs}
    for _ in range(rounds):
        for name, args in configs.items():
            runs[name].append(_measure(folder, args, env, scripts[name], seconds))
    for name, rs in runs.items():
        if any(r["non2xx"] or r["errors"] for r in rs):
            raise SystemExit(f"{name}: some responses were not 2xx or sockets failed: {rs}")
    out = {}
    for name, rs in runs.items():
        out[name] = {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p99")}
        out[name]["served"] = sum(r["served"] for r in rs)
        out[name]["rounds"] = [round(r["rps"]) for r in rs]  # type: ignore[assignment]
    return out


def _print(title: str, results: dict[str, dict[str, float]]) -> None:
    print(f"\n== {title} ==")
    for name, m in results.items():
        print(
            f"{name:24s} {m['rps']:8.0f} req/s  p50 {m['p50']:7.2f} ms  p99 {m['p99']:7.2f} ms"
            f"   (rounds: {m['rounds']})"
        )


def _logged(store_url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(store_url)
    with engine.connect() as conn:
        count = int(conn.execute(sa.text("SELECT COUNT(*) FROM hf_predictions")).scalar_one())
    engine.dispose()
    return count


def bench_workers(folder: Path, env: dict[str, str], store_url: str, s: float, n: int) -> None:
    configs = {"--workers 1": ["--workers", "1"], "--workers 2": ["--workers", "2"]}
    script = lua_script([DAY])
    res = _rounds(configs, folder, env, dict.fromkeys(configs, script), s, n)
    _print(f"hyperflow serve, log on PostgreSQL: wrk -t2 -c32, {n} x {s:.0f} s, median", res)
    ratio = res["--workers 2"]["rps"] / res["--workers 1"]["rps"]
    print(f"ratio 2 workers / 1 worker: {ratio:.2f}x req/s (target >= 1.6x; {os.cpu_count()} CPUs)")
    served = sum(m["served"] for m in res.values())
    logged = _logged(store_url)
    print(
        f"2xx answered (incl. warm-ups): {served:.0f}; rows logged: {logged}; equal: {served == logged}"
    )


class RawWorkers(Served):
    """The peer: the hand-written ``async def`` FastAPI app under ``uvicorn --workers N``."""

    def __init__(self, workers: int, env: dict[str, str], fixed: bool) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        runner = "benchmarks._uvicorn_nodelay" if fixed else "uvicorn"
        cmd = [
            sys.executable, "-m", runner, "benchmarks._serve_apps:raw_logreg", "--factory",
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
            "--log-level", "warning", "--no-access-log",
        ]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(self.url + "/docs", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"uvicorn --workers {workers} did not start") from None
                time.sleep(0.3)
        time.sleep(3.0)  # every worker has fitted its model (the warm-up round follows)

    def served_2xx(self) -> float:
        return 0.0


def bench_raw_workers(env: dict[str, str], s: float, n: int) -> None:
    """The same ratio for the peer, as released and with the upstream TCP_NODELAY fix."""
    script = lua_script([DAY])
    configs = [(1, False), (2, False), (2, True)]
    runs: dict[tuple[int, bool], list[float]] = {c: [] for c in configs}
    for _ in range(n):
        for workers, fixed in configs:
            server = RawWorkers(workers, env, fixed)
            try:
                wrk(server.url, script, 2)
                runs[(workers, fixed)].append(wrk(server.url, script, s)["rps"])
            finally:
                server.stop()
    med = {c: statistics.median(r) for c, r in runs.items()}
    one = med[(1, False)]
    print("\n== the peer: raw FastAPI (async def route) under uvicorn, same load ==")
    for (workers, fixed), rps in med.items():
        label = f"--workers {workers}" + (" + uvicorn#3149 fix" if fixed else "")
        rounds = [round(x) for x in runs[(workers, fixed)]]
        print(f"{label:32s} {rps:8.0f} req/s  {rps / one:.2f}x   (rounds: {rounds})")


def bench_cache(folder: Path, env: dict[str, str], s: float, n: int, redis_url: str | None) -> None:
    hit, miss = lua_script([DAY]), str(Path(tempfile.mkdtemp()) / "miss.lua")
    Path(miss).write_text(MISS_LUA)
    forest = ["--model", "forest@production"]
    configs = {
        "no cache (new rows)": forest,
        "memory: miss (new rows)": [*forest, "--cache", "memory"],
        "memory: hit (same row)": [*forest, "--cache", "memory"],
    }
    scripts = {
        "no cache (new rows)": miss,
        "memory: miss (new rows)": miss,
        "memory: hit (same row)": hit,
    }
    if redis_url:
        configs |= {"redis: miss (new rows)": [*forest, "--cache", redis_url]}
        configs |= {"redis: hit (same row)": [*forest, "--cache", redis_url]}
        scripts |= {"redis: miss (new rows)": miss, "redis: hit (same row)": hit}
    res = _rounds(configs, folder, env, scripts, s, n)
    title = "response cache, 300-tree random forest, one worker"
    _print(f"{title}: wrk -t2 -c32, {n} x {s:.0f} s, median", res)
    for kind in ("memory", "redis") if redis_url else ("memory",):
        h, m = res[f"{kind}: hit (same row)"], res[f"{kind}: miss (new rows)"]
        print(
            f"{kind}: hit / miss {h['rps'] / m['rps']:.2f}x req/s, p99 {h['p99'] / m['p99']:.2f}x"
        )


def _redis(stack: ExitStack) -> str | None:
    if shutil.which("redis-server") is None:
        print("no redis-server: the Redis figures are skipped")
        return None
    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    stack.callback(lambda: (proc.terminate(), proc.wait(30)))
    time.sleep(0.5)
    return f"redis://127.0.0.1:{port}/0"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--skip-workers", action="store_true")
    ap.add_argument("--skip-cache", action="store_true")
    args = ap.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("bench_serve_scale needs wrk: apt-get install -y wrk")
    from hyperflow.store.conformance import postgres_schema_url

    with ExitStack() as stack:
        store_url = stack.enter_context(postgres_schema_url())
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        (folder / "hyperflow.toml").write_text('name = "bench"\n')
        os.chdir(folder)
        os.environ["HYPERFLOW_STORE"] = store_url
        from benchmarks._weather_model import register_weather

        register_weather()
        if not args.skip_cache:
            register_weather("forest", "forest")
        env = {
            **os.environ,
            "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
            "HYPERFLOW_TRUSTED_MODULES": "benchmarks",
        }
        print(f"{os.cpu_count()} CPUs; loopback only; store and prediction log on PostgreSQL")
        if not args.skip_workers:
            bench_workers(folder, env, store_url, args.duration, args.rounds)
            bench_raw_workers(env, args.duration, args.rounds)
        if not args.skip_cache:
            bench_cache(folder, env, args.duration, args.rounds, _redis(stack))


if __name__ == "__main__":
    main()
