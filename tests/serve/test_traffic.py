"""Traffic policies in a real server (uvicorn on 127.0.0.1): canary splits, sticky routing,
shadow copies, a crashing canary, and a policy set from another process (the CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import hyperflow as hf
from hyperflow.registry import Predictor
from hyperflow.serve import create_app
from hyperflow.serve._metrics import ServeMetrics
from hyperflow.serve._traffic import ShadowWorker
from hyperflow.serve._writer import LogWriter
from hyperflow.store import InMemoryPredictionLog
from tests.serve.conftest import Running
from tests.serve.traffic_models import Visit, two_versions


def _logged(n: int, deadline_s: float = 20.0) -> pd.DataFrame:
    """The prediction log once it holds ``n`` rows of model ``visit``."""
    deadline = time.monotonic() + deadline_s
    while True:
        df = hf.predictions.search("visit")
        if len(df) >= n or time.monotonic() > deadline:
            return df
        time.sleep(0.05)


def _serve(serve_app: Callable[..., Running], **options: Any) -> Running:
    return serve_app(create_app("visit@production", poll_interval_s=0.05, **options))


@pytest.mark.slow
def test_a_90_10_split_answers_from_both_arms_and_logs_both(
    serve_app: Callable[..., Running],
) -> None:
    v1, v2 = two_versions()
    hf.registry.set_traffic("visit", {"production": 90, "candidate": 10})
    srv = _serve(serve_app)
    seen: Counter[tuple[str, str]] = Counter()
    for i in range(400):
        r = srv.client.post("/predict", json={"user": f"u{i}", "x": 1.0})
        assert r.status_code == 200
        version, arm = r.headers["x-hyperflow-version"], r.headers["x-hyperflow-arm"]
        assert r.json()["version"] == version
        assert r.json()["prediction"] == (1.0 if version == v1 else 2.0)
        seen[(arm, version)] += 1
    assert set(seen) == {("primary", v1), ("canary", v2)}
    assert 15 <= seen[("canary", v2)] <= 70  # 40 expected; binomial sd ~6
    srv.stop()
    df = _logged(400)
    assert Counter(zip(df["arm"], df["version"], strict=True)) == seen
    assert set(df["status"]) == {200}
    metrics = srv.app.state.hyperflow.metrics.render()[0].decode()
    assert f'hyperflow_version_predictions_total{{arm="canary",status="200",version="{v2}"}}' in (
        metrics
    )


def test_sticky_routing_gives_one_version_per_key(serve_app: Callable[..., Running]) -> None:
    two_versions()
    hf.registry.set_traffic("visit", {"production": 50, "candidate": 50}, sticky="user")
    srv = _serve(serve_app)
    by_user: dict[str, set[str]] = {}
    for _ in range(3):
        for i in range(30):
            r = srv.client.post("/predict", json={"user": f"u{i}", "x": 1.0})
            by_user.setdefault(f"u{i}", set()).add(r.headers["x-hyperflow-version"])
    assert all(len(v) == 1 for v in by_user.values())
    assert len({next(iter(v)) for v in by_user.values()}) == 2  # both versions serve someone
    hf.registry.set_traffic("visit", {"production": 50, "candidate": 50}, sticky="X-Session")
    deadline = time.monotonic() + 20
    while srv.client.get("/version").json()["traffic"]["sticky"] != "X-Session":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    for key in ("a", "b", "c", "d"):
        got = {
            srv.client.post(
                "/predict", json={"user": "same", "x": 1.0}, headers={"x-session": key}
            ).headers["x-hyperflow-version"]
            for _ in range(5)
        }
        assert len(got) == 1


def test_shadow_answers_with_the_champion_and_logs_the_copy(
    serve_app: Callable[..., Running],
) -> None:
    v1, v2 = two_versions()
    hf.registry.set_traffic("visit", {"production": 100}, shadow="candidate")
    srv = _serve(serve_app)
    ids = []
    for i in range(20):
        r = srv.client.post("/predict", json={"user": f"u{i}", "x": 3.0})
        assert (r.json()["version"], r.json()["prediction"]) == (v1, 3.0)  # never the shadow's
        assert r.headers["x-hyperflow-arm"] == "primary"
        ids.append(r.json()["request_id"])
    srv.stop()
    df = _logged(40)
    shadow = df[df["arm"] == "shadow"]
    assert sorted(shadow["request_id"]) == sorted(ids)  # a copy of each, same request id
    assert set(shadow["version"]) == {v2} and set(shadow["output"]) == {6.0}
    assert set(df[df["arm"] == "primary"]["version"]) == {v1}


def test_a_crashing_canary_gives_500_rows_and_spares_the_primary(
    serve_app: Callable[..., Running],
) -> None:
    _, v2 = two_versions(canary_coef=-1.0)  # the candidate raises on every call
    hf.registry.set_traffic("visit", {"production": 70, "candidate": 30})
    srv = _serve(serve_app)
    statuses: Counter[tuple[str, int]] = Counter()
    for i in range(100):
        r = srv.client.post("/predict", json={"user": f"u{i}", "x": 1.0})
        statuses[(r.headers["x-hyperflow-arm"], r.status_code)] += 1
    assert set(statuses) == {("primary", 200), ("canary", 500)}
    assert srv.client.get("/health").status_code == 200  # the server is still up
    srv.stop()
    df = _logged(100)
    by_arm = df.groupby("arm")["status"].agg(lambda s: set(s))
    assert by_arm["canary"] == {500} and by_arm["primary"] == {200}
    assert set(df[df["arm"] == "canary"]["version"]) == {v2}
    assert df[df["arm"] == "canary"]["output"].isna().all()


def test_a_slow_canary_is_answered_504(serve_app: Callable[..., Running]) -> None:
    two_versions(canary_coef=-2.0)  # the candidate takes 1 s
    hf.registry.set_traffic("visit", {"candidate": 100, "production": 0}, timeout_s=0.2)
    srv = _serve(serve_app)
    r = srv.client.post("/predict", json={"user": "u", "x": 1.0})
    assert r.status_code == 504 and r.headers["x-hyperflow-arm"] == "canary"
    srv.stop()
    assert list(_logged(1)["status"]) == [504]


@pytest.mark.slow
def test_a_policy_set_from_the_cli_reaches_a_running_server(
    serve_app: Callable[..., Running],
) -> None:
    v1, v2 = two_versions()
    srv = _serve(serve_app)
    r = srv.client.post("/predict", json={"user": "u", "x": 1.0})
    assert r.headers["x-hyperflow-version"] == v1 and "x-hyperflow-arm" not in r.headers
    cli = [sys.executable, "-m", "hyperflow", "traffic", "visit"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [*cli, "--set", "production=0,candidate=100"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 20
    while srv.client.post("/predict", json={"user": "u", "x": 1.0}).headers[
        "x-hyperflow-version"
    ] != v2:
        assert time.monotonic() < deadline, "the policy was not picked up"
        time.sleep(0.02)
    done = subprocess.run([*cli, "--clear"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 20
    while "x-hyperflow-arm" in srv.client.post("/predict", json={"user": "u", "x": 1.0}).headers:
        assert time.monotonic() < deadline, "the cleared policy was not picked up"
        time.sleep(0.02)


def test_a_slow_shadow_adds_no_latency_to_the_answer(serve_app: Callable[..., Running]) -> None:
    v1, _ = two_versions(canary_coef=-2.0)  # the shadow takes 1 s per copy
    hf.registry.set_traffic("visit", {"production": 100}, shadow="candidate")
    srv = _serve(serve_app)
    for i in range(3):
        t0 = time.perf_counter()
        r = srv.client.post("/predict", json={"user": f"u{i}", "x": 1.0})
        assert r.json()["version"] == v1 and time.perf_counter() - t0 < 0.8
    srv.stop()  # shutdown finishes the queued copies
    assert sorted(_logged(6)["arm"]) == ["primary"] * 3 + ["shadow"] * 3


RELEASE = threading.Event()


def waits(visit: Visit) -> float:
    """Holds the shadow thread until the test releases it."""
    RELEASE.wait(30)
    return visit["x"]


def test_a_full_shadow_queue_drops_and_counts() -> None:
    log = InMemoryPredictionLog()
    writer = LogWriter(log)
    metrics = ServeMetrics(float)
    worker = ShadowWorker(lambda: writer, metrics, max_queue=2)
    p = Predictor(hf.Pipeline([waits], name="waits"), {}, name="visit", version="9.0.0")
    RELEASE.clear()
    for i in range(6):  # one running, two queued, the rest dropped
        worker.submit(p, f"r{i}", {"visit": {"user": "u", "x": float(i)}})
        time.sleep(0.05)
    assert worker.dropped == 3
    assert "hyperflow_shadow_dropped_total 3.0" in metrics.render()[0].decode()
    RELEASE.set()
    worker.close()
    writer.close()
    df = log.search("visit")
    assert list(df["arm"]) == ["shadow"] * 3 and list(df["request_id"]) == ["r0", "r1", "r2"]


def test_without_a_policy_rows_have_no_arm_and_failures_are_rows(
    serve_app: Callable[..., Running],
) -> None:
    from tests.serve.traffic_models import register

    broken = register(-1.0)  # raises on every call
    hf.registry.set_alias("visit", "production", broken)
    srv = _serve(serve_app)
    r = srv.client.post("/predict", json={"user": "u", "x": 1.0})
    assert r.status_code == 500 and "x-hyperflow-arm" not in r.headers
    assert srv.client.get("/health").status_code == 200
    srv.stop()
    df = _logged(1)
    assert (list(df["status"]), list(df["arm"]), list(df["version"])) == ([500], [None], [broken])


def test_a_policy_that_does_not_name_the_server_alias_is_not_applied(
    serve_app: Callable[..., Running],
) -> None:
    v1, _ = two_versions()
    hf.registry.set_alias("visit", "staging", v1)
    hf.registry.set_traffic("visit", {"candidate": 100})  # for servers of candidate or v2
    srv = serve_app(create_app("visit@staging", poll_interval_s=0.05))
    r = srv.client.post("/predict", json={"user": "u", "x": 1.0})
    assert r.headers["x-hyperflow-version"] == v1 and "x-hyperflow-arm" not in r.headers
    assert srv.client.get("/version").json()["traffic"] is None
