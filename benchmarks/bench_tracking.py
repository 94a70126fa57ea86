"""Tracking vs MLflow on SQLite, side by side in one process.

Three workloads (each library gets a fresh SQLite file in a temp dir):

1. 1,000 metric points in one run, one logging call per point (per-call time);
2. 200 runs x (5 params + 5 metrics), one start/log/end cycle per run;
3. ``search`` over 10,000 runs with a filter and an order (both stores are
   populated in bulk first; the search itself is timed, best of 5).

Run: ``python benchmarks/bench_tracking.py`` (needs ``pip install -e '.[bench]'``).
Targets: (1) <= 0.05x MLflow, (2) <= 0.2x MLflow.
"""

from __future__ import annotations

import logging
import os
import random
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from typing import Any

warnings.filterwarnings("ignore")
logging.getLogger("mlflow").setLevel(logging.ERROR)
logging.getLogger("alembic").setLevel(logging.ERROR)

import mlflow  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

import hyperflow as hf  # noqa: E402
from hyperflow.store import MetricPoint, RunRecord, SQLStore  # noqa: E402

N_POINTS = 1_000
N_RUNS = 200
N_SEARCH = 10_000
WHERE_HF = "metrics.f1 > 0.9 and params.model = 'lr'"
WHERE_MLFLOW = "metrics.f1 > 0.9 and params.model = 'lr'"


def best_of(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_points(tmp: str) -> tuple[float, float]:
    mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow_points.db")
    mlflow.set_experiment("points")
    with mlflow.start_run():
        t0 = time.perf_counter()
        for i in range(N_POINTS):
            mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
        ml = (time.perf_counter() - t0) / N_POINTS
    url = f"sqlite:///{tmp}/hf_points.db"
    with hf.start_run("points", store=url, artifacts=f"{tmp}/arts") as run:
        t0 = time.perf_counter()
        for i in range(N_POINTS):
            run.log_metrics({"loss": 1.0 / (i + 1)}, step=i)
        ours = (time.perf_counter() - t0) / N_POINTS
    assert len(hf.runs.history(run.id, "loss", store=url)) == N_POINTS
    return ours, ml


def _values(i: int) -> tuple[dict[str, Any], dict[str, float]]:
    params = {"model": "lr", "C": 0.1 * i, "seed": i, "scaler": "std", "degree": 2}
    metrics = {"f1": 0.8, "acc": 0.9, "auc": 0.95, "loss": 0.3, "latency_ms": 12.0}
    return params, metrics


def bench_runs(tmp: str) -> tuple[float, float]:
    mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow_runs.db")
    mlflow.set_experiment("runs")
    t0 = time.perf_counter()
    for i in range(N_RUNS):
        params, metrics = _values(i)
        with mlflow.start_run():
            mlflow.log_params(params)
            mlflow.log_metrics(metrics)
    ml = time.perf_counter() - t0
    url = f"sqlite:///{tmp}/hf_runs.db"
    hf.store.get_store(url)  # schema creation is not part of the loop (MLflow's neither)
    t0 = time.perf_counter()
    for i in range(N_RUNS):
        params, metrics = _values(i)
        with hf.start_run(store=url, artifacts=f"{tmp}/arts") as run:
            run.log_params(params)
            run.log_metrics(metrics)
    ours = time.perf_counter() - t0
    assert len(hf.runs.search(store=url)) == N_RUNS
    return ours, ml


def _population(i: int, rng: random.Random) -> tuple[dict[str, Any], dict[str, float]]:
    params = {"model": rng.choice(["lr", "svm", "rf"]), "C": round(rng.random(), 4), "i": i}
    return params, {"f1": rng.random(), "loss": rng.random()}


def populate_mlflow(tmp: str) -> str:
    from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlMetric, SqlParam, SqlRun

    mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow_search.db")
    exp = mlflow.set_experiment("search").experiment_id
    store = MlflowClient()._tracking_client.store
    rng = random.Random(0)
    now = int(time.time() * 1000)
    with store.ManagedSessionMaker() as session:
        objs: list[Any] = []
        for i in range(N_SEARCH):
            rid = uuid.uuid4().hex
            params, metrics = _population(i, rng)
            objs.append(
                SqlRun(
                    run_uuid=rid,
                    name=f"r{i}",
                    source_type="LOCAL",
                    source_name="",
                    user_id="u",
                    entry_point_name="",
                    status="FINISHED",
                    start_time=now + i,
                    end_time=now + i,
                    source_version="",
                    lifecycle_stage="active",
                    artifact_uri="",
                    experiment_id=int(exp),
                )
            )
            objs += [SqlParam(key=k, value=str(v), run_uuid=rid) for k, v in params.items()]
            for k, v in metrics.items():
                row = {"key": k, "value": v, "timestamp": now, "step": 0, "is_nan": False}
                objs.append(SqlMetric(run_uuid=rid, **row))
                objs.append(SqlLatestMetric(run_uuid=rid, **row))
        session.add_all(objs)
    return exp


def populate_hf(tmp: str) -> SQLStore:
    store = SQLStore(f"sqlite:///{tmp}/hf_search.db")
    rng = random.Random(0)
    now = time.time()
    for i in range(N_SEARCH):
        rid = uuid.uuid4().hex
        params, metrics = _population(i, rng)
        rec = RunRecord(run_id=rid, status="finished", start_time=now + i, name=f"r{i}")
        rec.params, rec.end_time = params, now + i
        store.create_run(rec)
        store.log_metrics(rid, [MetricPoint(k, v, 0, now) for k, v in metrics.items()])
    return store


def bench_search(tmp: str) -> dict[str, float]:
    t0 = time.perf_counter()
    exp = populate_mlflow(tmp)
    fill_ml = time.perf_counter() - t0
    t0 = time.perf_counter()
    store = populate_hf(tmp)
    fill_hf = time.perf_counter() - t0
    out = {"fill_mlflow_s": fill_ml, "fill_hf_s": fill_hf}
    for limit in (100, None):
        ml_t, ml_df = best_of(
            lambda limit=limit: mlflow.search_runs(
                experiment_ids=[exp],
                filter_string=WHERE_MLFLOW,
                order_by=["metrics.f1 DESC"],
                max_results=limit or 100_000,
            )
        )
        hf_t, hf_df = best_of(
            lambda limit=limit: hf.runs.search(
                where=WHERE_HF, order_by="-metrics.f1", limit=limit, store=store
            )
        )
        assert len(ml_df) == len(hf_df), (len(ml_df), len(hf_df))
        assert abs(ml_df["metrics.f1"].iloc[0] - hf_df["metrics.f1"].iloc[0]) < 1e-12
        key = f"limit={limit}" if limit else "all"
        out[f"mlflow_{key}_ms"] = ml_t * 1000
        out[f"hf_{key}_ms"] = hf_t * 1000
        out[f"rows_{key}"] = len(hf_df)
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        ours, ml = bench_points(tmp)
        print(f"1) {N_POINTS:,} metric points, one call each (per call):")
        print(
            f"   hyperflow {ours * 1e6:8.1f} us   mlflow {ml * 1e6:8.1f} us   "
            f"ratio {ours / ml:.3f}x (target <= 0.05x)"
        )
        ours, ml = bench_runs(tmp)
        print(f"2) {N_RUNS} runs x (5 params + 5 metrics):")
        print(
            f"   hyperflow {ours:8.3f} s    mlflow {ml:8.3f} s    "
            f"ratio {ours / ml:.3f}x (target <= 0.2x)"
        )
        s = bench_search(tmp)
        print(
            f"3) search over {N_SEARCH:,} runs: where {WHERE_HF!r}, order -metrics.f1 "
            f"(populated in bulk: mlflow {s['fill_mlflow_s']:.1f} s, "
            f"hyperflow {s['fill_hf_s']:.1f} s)"
        )
        for key in ("limit=100", "all"):
            print(
                f"   {key:>9} ({int(s[f'rows_{key}']):5d} rows): hyperflow "
                f"{s[f'hf_{key}_ms']:8.1f} ms   mlflow {s[f'mlflow_{key}_ms']:8.1f} ms   "
                f"ratio {s[f'hf_{key}_ms'] / s[f'mlflow_{key}_ms']:.3f}x"
            )
        os.chdir("/")


if __name__ == "__main__":
    main()
