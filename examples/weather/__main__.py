"""``make demo``: the weather workflow end to end on the embedded default store.

1. every variant combination once (what each implementation scores);
2. optimize variants and parameters together (30 trials, every trial tracked);
3. register the best trial's model as ``weather`` and promote it to ``production``;
4. serve ``weather@production`` in a background process (``python -m hyperflow serve``);
5. replay the held-out 2014–2015 days as live traffic over HTTP, with feedback;
6. stop the server (the prediction log is flushed on shutdown), check the traffic against
   the reference profile stored with the version, alert a local webhook;
7. close the loop (``examples/weather/loop.py``): the alert triggers a retrain on the
   labelled window, the gate compares, a canary on replayed traffic promotes the
   challenger; print the chain of events and the final alias in the summary.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import hyperflow as hf
from examples.weather.loop import LoopResult
from examples.weather.pipeline import MEASUREMENTS, predict, raw_data, train

ROOT = Path(__file__).resolve().parents[2]
N_TRIALS = int(os.environ.get("HYPERFLOW_DEMO_TRIALS", "30"))


def _listening_socket() -> socket.socket:
    """A socket bound to a free loopback port, handed to the server (no port race)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def _start_server(ref: str, sock: socket.socket, *extra: str) -> subprocess.Popen[bytes]:
    paths = [str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
    cmd = [sys.executable, "-m", "hyperflow", "serve", ref, "--fd", str(sock.fileno())]
    cmd += ["--no-access-log", *extra]  # the replay below sends thousands of requests
    return subprocess.Popen(
        cmd,
        cwd=os.getcwd(),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        pass_fds=[sock.fileno()],
    )


def _wait_ready(client: object, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    import httpx

    assert isinstance(client, httpx.Client)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            if client.get("/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not become ready within 60 s")


def _stop(proc: subprocess.Popen[bytes], sock: socket.socket) -> None:
    proc.send_signal(signal.SIGINT)  # graceful: flushes the prediction log
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    sock.close()


def _send(client: Any, row: Any) -> tuple[float, str]:
    """One day as a live request, then its label as feedback; (latency ms, prediction)."""
    body = {"date": str(row.date.date()), **{k: float(getattr(row, k)) for k in MEASUREMENTS}}
    t0 = time.perf_counter()
    resp = client.post("/predict", json=body)
    latency = (time.perf_counter() - t0) * 1000
    resp.raise_for_status()
    answer = resp.json()
    client.post(
        "/feedback",
        json={"request_id": answer["request_id"], "ground_truth": row.weather},
    )
    return latency, str(answer["prediction"])


def _canary() -> LoopResult:
    """Step 7: serve weather@production again (the agent's traffic split applies) and let
    the agent close the loop on replayed 2015 traffic."""
    import httpx

    from examples.weather.loop import close_the_loop

    sock = _listening_socket()
    proc = _start_server("weather@production", sock, "--poll", "0.2")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}") as client:
            _wait_ready(client, proc)

            def replay(days: Any) -> int:
                for row in days.itertuples(index=False):
                    _send(client, row)
                return len(days)

            return close_the_loop(replay)
    finally:
        _stop(proc, sock)


def _training_rows() -> object:
    days = raw_data()
    return days[days["date"] < "2014-01-01"]


def main() -> None:
    import httpx
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t_start = time.perf_counter()
    console.rule("[bold]hyperflow demo: Seattle weather, notebook to production")
    console.print(f"{train}\nsearch space:\n{train.space}\n")

    # 1. every combination of the two feature and two model variants, at their defaults
    table = Table(title="held-out 2014–2015 metrics of every variant combination (defaults)")
    for col in ("featurizer", "model", "accuracy", "macro F1", "latency ms"):
        table.add_column(col)
    feats = train.space["featurizer"].domain.options  # type: ignore[attr-defined]
    models = train.space["model"].domain.options  # type: ignore[attr-defined]
    for feat, model in itertools.product(feats, models):
        m = train.run(config={"featurizer": feat, "model": model}, outputs=["metrics"])["metrics"]
        table.add_row(
            feat, model, f"{m['accuracy']:.3f}", f"{m['f1']:.3f}", f"{m['latency_ms']:.2f}"
        )
    console.print(table)

    # 2. optimize variants and parameters together; trials share the cache
    objective = hf.Objective("f1", maximize=True, constraints=["latency_ms <= 50"])
    study = train.optimize(
        objective=objective,
        n_trials=N_TRIALS,
        sampler="tpe",
        seed=0,
        keep=["model"],
        study=f"weather-demo-{time.strftime('%Y%m%d-%H%M%S')}",
    )
    best = study.best
    console.print(
        f"\nstudy {study.name}: {len(study.trials)} trials; best macro F1 "
        f"{best.value:.3f} with {best.config}"
    )

    # 3. register the best trial's model with the inference pipeline; promote it
    mv = hf.registry.register(
        "weather",
        run_id=best.run_id or "",
        predict=predict,
        artifacts=["model"],
        bump="minor",
        description="best of the demo study",
        reference=_training_rows(),  # the drift reference profile, stored with the version
    )
    hf.registry.set_alias("weather", "production", mv.version, reason="demo: best trial")
    console.print(f"registered weather:{mv.version} (run {mv.run_id}) -> production")

    # 4. serve weather@production in the background
    sock = _listening_socket()
    port = sock.getsockname()[1]
    proc = _start_server("weather@production", sock)
    latencies: list[float] = []
    correct = 0
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            _wait_ready(client, proc)
            version = client.get("/version").json()
            # 5. replay 2014–2015 as live traffic, then send the ground truth as feedback
            days = raw_data()
            live = days[days["date"] >= "2014-01-01"]
            for row in live.itertuples(index=False):
                latency, prediction = _send(client, row)
                latencies.append(latency)
                correct += prediction == row.weather
            metrics_text = client.get("/metrics").text
    finally:
        _stop(proc, sock)

    # 6. monitor: one check of the replayed window, alerts to a local webhook receiver
    from examples.weather.monitoring import check_traffic

    checked, alerts = check_traffic(len(latencies))

    # 7. the loop: alert -> retrain -> gate -> canary on replayed traffic -> promotion
    from examples.weather.loop import summary_rows

    logged = hf.predictions.search("weather", version=mv.version)  # before the canary
    loop = _canary()

    # 8. summary
    served = len(latencies)
    summary = Table(title="weather: notebook to production", show_header=False)
    summary.add_column("what", style="bold")
    summary.add_column("value")
    summary.add_row("best config", ", ".join(f"{k}={v}" for k, v in best.config.items()))
    summary.add_row("best macro F1 (held out)", f"{best.value:.3f}")
    summary.add_row(
        "registered version", f"weather:{mv.version} @production ({version.get('version')})"
    )
    summary.add_row("requests served", str(served))
    summary.add_row("live accuracy (feedback)", f"{correct / max(served, 1):.3f}")
    summary.add_row(
        "latency p50 / p99 (ms)",
        f"{np.percentile(latencies, 50):.2f} / {np.percentile(latencies, 99):.2f}",
    )
    summary.add_row(
        "prediction log rows",
        f"{len(logged)} (feedback joined: "
        f"{int(logged['ground_truth'].notna().sum()) if 'ground_truth' in logged else 0})",
    )
    summary.add_row("metrics endpoint", f"{metrics_text.count(chr(10))} Prometheus lines")
    f = checked.figures
    summary.add_row(
        "monitor: live accuracy (95% CI)",
        f"{f.get('metrics.accuracy', float('nan')):.3f} ({f.get('metrics.accuracy_low', 0):.3f}"
        f"–{f.get('metrics.accuracy_high', 0):.3f}), feedback coverage "
        f"{f.get('feedback.coverage', 0):.0%}",
    )
    summary.add_row(
        "monitor: drift",
        f"target drifted: {bool(f.get('drift.target'))}; input columns drifted "
        f"{f.get('drift.count', 0)}/{f.get('drift.columns', 0)}: "
        + ", ".join(
            f"{t['column']} ({t['test']} {t['score']:.3g})"
            for t in f.get("drift.top", []) if t["drifted"]
        ),
    )
    for alert in alerts:
        summary.add_row(
            "alert at the webhook",
            f"{alert['severity']}: {alert['rule']} {alert['status']}: {alert['when']} "
            f"(version {alert['cause']['version']}, run {alert['cause'].get('run_id')})",
        )
    for what, value in summary_rows(loop):
        summary.add_row(what, value)
    summary.add_row("demo wall time", f"{time.perf_counter() - t_start:.1f} s")
    console.print(summary)


if __name__ == "__main__":
    main()
