"""Dashboard figures: server time of its pages on a large store, and MLflow's search API.

Run: ``python benchmarks/bench_ui.py [--runs 100000] [--trials 10000] [--mlflow-runs 10000]
[--checks 1000] [--no-browser]``

A SQLite store gets ``--runs`` runs (10 params, 10 metrics each; rows bulk-inserted in
the store's own tables) and one study of ``--trials`` trials (Optuna storage in the same
database). Timed in-process through ASGI (server time: routing, SQL, rendering), best
of 3 after one warm-up:

* runs page, first paint (default sort, 50 rows): target <= 300 ms
* filter + sort (``metrics.m0 > 0.5 and metrics.m1 < 0.3``, by ``-metrics.m3``): <= 500 ms
* the study page with all its plots: <= 2 s
* compare of 100 runs: <= 2 s
* a model's monitoring page over ``--checks`` stored checks (it draws the newest 200)
* with ``--browser`` (default): the runs page's load event in headless Chromium: <= 1 s

MLflow side by side: ``--mlflow-runs`` runs with the same params and metrics in an
MLflow SQLite tracking store; ``MlflowClient.search_runs`` for the first page (50 rows,
newest first), which is what the MLflow UI's runs table calls, and the same filter+sort.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # this checkout's hyperflow

import hyperflow as hf
from hyperflow.store import SQLStore, get_monitor_store, get_store
from hyperflow.store import _schema as S  # bulk load only: the benchmark's own shortcut

P, M = 10, 10


def best_of(fn: Callable[[], Any], n: int = 3) -> float:
    fn()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def load_runs(store: SQLStore, n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    ids = [uuid.uuid4().hex for _ in range(n)]
    t0 = time.time() - n
    chunk = 5_000
    with store.engine.begin() as conn:
        for lo in range(0, n, chunk):
            part = ids[lo : lo + chunk]
            conn.execute(S.runs.insert(), [
                {"run_id": r, "name": f"run-{lo + i}", "pipeline": "bench", "status": "finished",
                 "start_time": t0 + lo + i, "end_time": t0 + lo + i + rng.random() * 10}
                for i, r in enumerate(part)])
            params, latest, points = [], [], []
            for r in part:
                for k in range(P):
                    v = rng.random()
                    params.append({"run_id": r, "key": f"p{k}", "value": json.dumps(v),
                                   "text": json.dumps(v), "num": v})
                for k in range(M):
                    v = rng.random()
                    latest.append({"run_id": r, "key": f"m{k}", "step": 0, "value": v})
                    points.append({"run_id": r, "key": f"m{k}", "step": 0, "value": v,
                                   "timestamp": t0})
            conn.execute(S.params.insert(), params)
            conn.execute(S.latest_metrics.insert(), latest)
            conn.execute(S.metrics.insert(), points)
    return ids


def load_study(url: str, trials: int, seed: int = 0) -> None:
    import optuna
    from optuna.distributions import FloatDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rng = random.Random(seed)
    storage = optuna.storages.RDBStorage(url)
    study = optuna.create_study(study_name="bench-study", storage=storage, direction="maximize")
    study.set_user_attr("hf_pipeline", "bench")
    dists = {f"x{k}": FloatDistribution(0.0, 1.0) for k in range(5)}
    batch = []
    for _ in range(trials):
        params = {k: rng.random() for k in dists}
        value = sum(params.values()) + rng.random()
        batch.append(optuna.trial.create_trial(
            params=params, distributions=dists, value=value,
            user_attrs={"hf_config": params, "hf_metrics": {"f1": value / 6}}))
    study.add_trials(batch)


def load_monitoring(store: SQLStore, checks: int, seed: int = 0) -> None:
    """``checks`` hourly checks of ``bench-model@production`` (20 drift columns each) and
    an alert every 50 checks, through the monitoring store as ``hf.monitor.check`` stores them."""
    from hyperflow.store import CheckRecord, get_monitor_store

    rng = random.Random(seed)
    mon = get_monitor_store(store)
    t0 = time.time() - checks * 3600
    for i in range(checks):
        top = [{"column": f"c{k}", "test": "ks", "score": rng.random(), "p_value": rng.random(),
                "severity": rng.random(), "drifted": rng.random() < 0.1} for k in range(20)]
        acc = 0.8 + rng.random() / 10
        figures = {"requests": 1000.0, "error_rate": 0.01, "feedback.count": 300.0,
                   "feedback.coverage": 0.3, "drift.share": rng.random(), "drift.threshold": 0.5,
                   "metrics.accuracy": acc, "metrics.accuracy_low": acc - 0.03,
                   "metrics.accuracy_high": acc + 0.03, "drift.top": top}
        cid = mon.add_check(CheckRecord("bench-model", "bench-model@production", "1.0.0",
                                        t0 + i * 3600, t0 + (i + 1) * 3600, figures,
                                        {"drift": False}, None, time.time()))
        if i % 50 == 49:
            alert = mon.open_alert("drift", "bench-model", "1.0.0", "warning", t0 + i * 3600,
                                   cid, {"when": "drift.share > 0.3", "cause": {"model": "x"}})
            if alert is not None:
                mon.resolve_alert(alert.alert_id, t0 + i * 3600 + 1800)


def mlflow_side(n: int, where: Path) -> dict[str, float]:
    import mlflow
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    rng = random.Random(0)
    uri = f"sqlite:///{where}/mlflow.db"
    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("bench")
    t = time.time()
    for i in range(n):
        run = client.create_run(exp, run_name=f"run-{i}")
        ts = int(time.time() * 1000)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(f"m{k}", rng.random(), ts, 0) for k in range(M)],
            params=[Param(f"p{k}", str(rng.random())) for k in range(P)],
        )
    load_s = time.time() - t
    del mlflow
    first = best_of(lambda: client.search_runs([exp], max_results=50))
    filt = best_of(lambda: client.search_runs(
        [exp], filter_string="metrics.m0 > 0.5 and metrics.m1 < 0.3",
        order_by=["metrics.m3 DESC"], max_results=50))
    return {"runs": n, "load_s": load_s, "first_page_s": first, "filter_sort_s": filt}


def chromium_first_paint(app: Any, paths: list[str]) -> dict[str, float]:
    """Seconds to the load event of each page in Debian's headless Chromium (best of 3)."""
    import shutil
    import socket
    import threading

    import uvicorn
    from playwright.sync_api import sync_playwright

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    out = {}
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=args)
        page = browser.new_page()
        for path in paths:
            times = []
            for _ in range(4):
                page.goto(f"http://127.0.0.1:{port}{path}", wait_until="load")
                nav = page.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
                times.append(nav["loadEventEnd"] / 1000)
            out[path] = min(times[1:])
        browser.close()
    server.should_exit = True
    thread.join(timeout=10)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--trials", type=int, default=10_000)
    ap.add_argument("--mlflow-runs", type=int, default=10_000)
    ap.add_argument("--checks", type=int, default=1_000, help="monitoring checks of one model")
    ap.add_argument("--reuse", type=Path, default=None,
                    help="a folder from an earlier run: time its hf.db instead of loading anew")
    ap.add_argument("--browser", action=argparse.BooleanOptionalAction, default=True,
                    help="also time the pages in headless Chromium (Playwright)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

    tmp = args.reuse or Path(tempfile.mkdtemp(prefix="bench-ui-"))
    reuse = (tmp / "hf.db").exists()
    store = get_store(f"sqlite:///{tmp}/hf.db")
    assert isinstance(store, SQLStore)
    t = time.time()
    if reuse:
        ids = [r.run_id for r in store.search_runs(limit=100)]
        args.runs = store.count_runs()
        print(f"reusing {tmp}/hf.db: {args.runs:,} runs")
    else:
        ids = load_runs(store, args.runs)
        load_study(store.sqlalchemy_url, args.trials)
        print(f"loaded {args.runs:,} runs and a {args.trials:,}-trial study in "
              f"{time.time() - t:.0f} s into {tmp}")
    if not get_monitor_store(store).checks("bench-model@production", limit=1):
        load_monitoring(store, args.checks)
    t = time.perf_counter()
    with TestClient(hf.ui.create_app(store=store)) as cold:  # startup warms, as under uvicorn
        print(f"  app start (create_app + warm-up)                 {(time.perf_counter() - t) * 1000:8.1f} ms")
        for name, path in (("runs page", "/runs"), ("study page", "/studies/bench-study")):
            t = time.perf_counter()
            assert cold.get(path).status_code == 200
            print(f"  first request after start: {name:<12}         {(time.perf_counter() - t) * 1000:8.1f} ms")
    client = TestClient(hf.ui.create_app(store=store))

    def get(url: str, **params: Any) -> Callable[[], None]:
        def call() -> None:
            r = client.get(url, params=params)
            assert r.status_code == 200, (url, r.status_code, r.text[:300])
        return call

    figures = {
        "runs page (first paint)": (get("/runs"), 0.3),
        "filter + sort": (get("/runs", where="metrics.m0 > 0.5 and metrics.m1 < 0.3",
                              order="-metrics.m3"), 0.5),
        "sort by a metric (all runs)": (get("/runs", order="metrics.m5"), 0.5),
        "sort by a metric, middle page": (get("/runs", order="metrics.m5",
                                              page=args.runs // 100), 0.5),
        "last page": (get("/runs", page=args.runs // 50), 0.5),
        "last page, sorted by a metric": (get("/runs", order="-metrics.m5",
                                              page=args.runs // 50), 0.5),
        "study page (all plots)": (get("/studies/bench-study"), 2.0),
        "compare 100 runs": (get("/compare", ids=ids[:100]), 2.0),
        f"monitoring page ({args.checks:,} checks)": (get("/monitoring/bench-model"), 0.5),
    }
    print(f"\nhyperflow dashboard, {args.runs:,} runs / {args.trials:,} trials (server time, best of 3)")
    for name, (fn, target) in figures.items():
        s = best_of(fn)
        print(f"  {name:<30} {s * 1000:8.1f} ms   target <= {target * 1000:.0f} ms   "
              f"{'ok' if s <= target else 'OVER'}")
    if args.browser:
        for path, s in chromium_first_paint(client.app, ["/runs", "/studies/bench-study"]).items():
            print(f"  Chromium load event {path:<20} {s * 1000:8.1f} ms   (runs page target <= 1000 ms)")
    if args.mlflow_runs:
        ml = mlflow_side(args.mlflow_runs, tmp)
        print(f"\nMLflow {ml['runs']:,} runs (SQLite store; loaded in {ml['load_s']:.0f} s), "
              "MlflowClient.search_runs, 50 rows")
        print(f"  first page                     {ml['first_page_s'] * 1000:8.1f} ms")
        print(f"  filter + sort                  {ml['filter_sort_s'] * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
