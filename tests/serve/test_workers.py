"""`hyperflow serve --workers 2` on one PostgreSQL store and one Redis response cache:
under concurrent load every 2xx prediction (cache hits included) is logged once, feedback
reaches rows another worker served, `/metrics` sums both workers whichever answers, and a
moved alias reaches both workers (and is never answered from the old version's entries)."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import hyperflow as hf
from hyperflow import registry
from tests.serve.processes import ServeProcess, cli_env, free_port, register_demo
from tests.serve.redis_server import redis_server

THREADS, PER_THREAD = 6, 40


def _samples(url: str) -> list[tuple[str, dict[str, str], float]]:
    with httpx.Client(timeout=10, headers={"connection": "close"}) as client:
        text = client.get(url + "/metrics").text
    return [
        (s.name, s.labels, s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def _value(samples: list[tuple[str, dict[str, str], float]], name: str, **labels: str) -> float:
    return sum(
        v for n, lab, v in samples if n == name and all(lab.get(k) == x for k, x in labels.items())
    )


def _versions_by_pid(url: str) -> dict[str, str]:
    return {
        lab["pid"]: lab["version"]
        for n, lab, v in _samples(url)
        if n == "hyperflow_model_info" and v == 1
    }


def _wait(check: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.1)  # polling the server's state, not a synchronisation sleep


def _load(url: str, ok: list[str], lock: threading.Lock) -> None:
    """PER_THREAD predictions (one bad row in ten) and feedback for each served one."""
    with httpx.Client(base_url=url, timeout=30) as client:
        for i in range(PER_THREAD):
            row = {"x": "bad"} if i % 10 == 9 else {"x": float(i), "group": "a"}
            r = client.post("/predict", json=row)
            if r.status_code == 200:
                rid = r.json()["request_id"]
                with lock:
                    ok.append(rid)
                # a fresh connection: may reach the other worker, before any flush
                fb = httpx.post(
                    url + "/feedback", json={"request_id": rid, "ground_truth": 1.0}, timeout=30
                )
                assert fb.status_code == 202, fb.text
            else:
                assert r.status_code == 422


@pytest.mark.slow
def test_two_workers_on_postgres_log_every_answer_and_follow_the_alias(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPERFLOW_STORE", postgres_url)
    register_demo(tmp_path)
    env = cli_env(HYPERFLOW_STORE=postgres_url)
    with redis_server(tmp_path) as redis_url:
        _serve_and_check(tmp_path, env, redis_url)


def _serve_and_check(folder: Path, env: dict[str, str], redis_url: str) -> None:
    args = ["demo@production", "--workers", "2", "--poll", "0.2", "--log-format", "json"]
    server = ServeProcess([*args, "--cache", redis_url], folder, env)
    try:
        assert "(2 workers)" in server.wait_for("hyperflow serve: demo 0.1.0")
        _wait(lambda: len(_versions_by_pid(server.url)) == 2, "both workers report a model")
        ok: list[str] = []
        lock = threading.Lock()
        with ThreadPoolExecutor(THREADS) as pool:
            for f in [pool.submit(_load, server.url, ok, lock) for _ in range(THREADS)]:
                f.result()
        assert len(ok) == THREADS * PER_THREAD * 9 // 10
        for _ in range(4):  # whichever worker answers, the totals are both workers' sums
            samples = _samples(server.url)
            served = _value(samples, "hyperflow_requests_total", route="/predict", status="200")
            assert served == len(ok)
            assert _value(samples, "hyperflow_requests_total", route="/predict", status="422") == (
                THREADS * PER_THREAD // 10
            )
            assert _value(samples, "hyperflow_workers") == 2
            hits = _value(samples, "hyperflow_cache_lookups_total", result="hit")
            assert hits > 0 and hits + _value(
                samples, "hyperflow_cache_lookups_total", result="miss"
            ) == len(ok)
        registry.set_alias("demo", "production", "0.2.0")
        _wait(
            lambda: (
                set(_versions_by_pid(server.url).values()) == {"0.2.0"}
                and len(_versions_by_pid(server.url)) == 2
            ),
            "the alias move reached both workers",
        )
        for _ in range(10):  # x=1.0 was cached under 0.1.0 (2 * 1 + 4.5)
            r = httpx.post(server.url + "/predict", json={"x": 1.0, "group": "a"}, timeout=10)
            assert (r.json()["version"], r.json()["prediction"]) == ("0.2.0", 3.0 * 1.0 + 4.5)
            ok.append(r.json()["request_id"])
    finally:
        code = server.stop()
    assert code == 0, "\n".join(server.lines)
    logged = hf.predictions.search("demo")
    assert len(logged) == len(ok) and set(logged["request_id"]) == set(ok)
    assert logged["ground_truth"].notna().sum() == THREADS * PER_THREAD * 9 // 10
    assert logged["request_id"].str.endswith("-cached").sum() >= hits > 0  # hits are rows too
    assert not re.search(r'Traceback|"level": "(error|critical)"', "\n".join(server.lines))
    events = [json.loads(line) for line in server.lines]  # one JSON event per line, both workers
    answered = [e for e in events if e["event"] == "request" and e["route"] == "/predict"]
    assert {e["request_id"] for e in answered if e["status"] == 200} == set(ok)
    assert len({e["pid"] for e in answered}) == 2  # both workers served predictions


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status  # exited, not yet reaped by its new parent


@pytest.mark.slow
def test_workers_stop_and_flush_their_log_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    register_demo(tmp_path)
    args = ["demo@production", "--workers", "2", "--log-format", "json"]
    server = ServeProcess(args, tmp_path, cli_env())
    try:
        server.wait_for('"event": "start"')
        _wait(lambda: len(_versions_by_pid(server.url)) == 2, "both workers report a model")
        workers = set(_versions_by_pid(server.url))
        ids = [
            httpx.post(server.url + "/predict", json={"x": float(i), "group": "a"}).json()[
                "request_id"
            ]
            for i in range(20)
        ]
        os.kill(server.proc.pid, signal.SIGKILL)  # no chance to stop its workers
        server.proc.wait(30)
        _wait(lambda: all(_gone(int(pid)) for pid in workers), "the orphaned workers stopped")
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
    assert set(hf.predictions.search("demo")["request_id"]) == set(ids)  # flushed on the way out


@pytest.mark.slow
def test_an_admin_reload_answered_by_one_worker_reaches_every_worker(tmp_path: Path) -> None:
    register_demo(tmp_path)
    args = ["demo@production", "--workers", "2", "--poll", "0", "--log-format", "json"]
    server = ServeProcess(args, tmp_path, cli_env(HYPERFLOW_ADMIN_TOKEN="s3cret"))
    try:
        server.wait_for('"event": "start"')
        _wait(lambda: len(_versions_by_pid(server.url)) == 2, "both workers report a model")
        registry.set_alias("demo", "production", "0.2.0")
        time.sleep(1.0)  # no polling (--poll 0): nothing moves until someone asks
        assert set(_versions_by_pid(server.url).values()) == {"0.1.0"}
        r = httpx.post(
            server.url + "/admin/reload",
            headers={"authorization": "Bearer s3cret", "connection": "close"},
            timeout=30,
        )
        assert r.status_code == 200 and r.json()["version"] == "0.2.0", r.text
        _wait(
            lambda: set(_versions_by_pid(server.url).values()) == {"0.2.0"},
            "the reload one worker answered reached the other",
            timeout=5,
        )
        for _ in range(10):  # fresh connections, whichever worker takes them
            r = httpx.post(
                server.url + "/predict", json={"x": 1.0, "group": "a"},
                headers={"connection": "close"}, timeout=10,
            )
            assert r.json()["version"] == "0.2.0"
    finally:
        code = server.stop()
    assert code == 0, "\n".join(server.lines)


@pytest.mark.slow
def test_a_traffic_policy_set_while_serving_reaches_every_worker(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers on one PostgreSQL store, each on its own socket of the port: a split
    set through the registry is followed by both, and both arms answer and are logged."""
    monkeypatch.setenv("HYPERFLOW_STORE", postgres_url)
    register_demo(tmp_path)
    args = ["demo@production", "--workers", "2", "--poll", "0.2", "--no-access-log"]
    server = ServeProcess(args, tmp_path, cli_env(HYPERFLOW_STORE=postgres_url), port=free_port())

    def policies() -> dict[int, object]:
        seen: dict[int, object] = {}
        for _ in range(24):  # fresh connections: the kernel spreads them over the workers
            info = httpx.get(server.url + "/version", headers={"connection": "close"}).json()
            seen[info["pid"]] = info["traffic"]
        return seen

    try:
        server.wait_for("hyperflow serve: demo 0.1.0")
        _wait(lambda: len(_versions_by_pid(server.url)) == 2, "both workers report a model")
        assert len(policies()) == 2 and set(policies().values()) == {None}
        registry.set_traffic("demo", {"production": 50, "0.2.0": 50})
        _wait(lambda: None not in (seen := policies()).values() and len(seen) == 2,
              "both workers follow the split")
        arms = Counter(
            httpx.post(server.url + "/predict", json={"x": float(i), "group": "a"},
                       headers={"connection": "close"}).headers["x-hyperflow-arm"]
            for i in range(60)
        )
        assert set(arms) == {"primary", "canary"}, arms
    finally:
        server.stop()
    logged = hf.predictions.search("demo")
    assert Counter(logged["arm"]) == arms and set(logged["version"]) == {"0.1.0", "0.2.0"}
