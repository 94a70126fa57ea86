"""`hyperflow serve --server granian`: the same app on Granian, as a real process on
127.0.0.1: it starts, answers /predict, counts in /metrics, and logs every row."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import hyperflow as hf
from tests.serve.processes import cli_env, free_port, register_demo

pytest.importorskip("granian", reason="the granian extra")  # CI installs it (dev extra)


def _up(url: str) -> bool:
    try:
        return httpx.get(url + "/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_on_granian_answers_and_logs_every_prediction(tmp_path: Path, workers: int) -> None:
    register_demo(tmp_path)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["demo@production", "--server", "granian", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "hyperflow", "serve", *args, "--poll", "0"],
        cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not _up(url):
            assert proc.poll() is None and time.monotonic() < deadline, "granian did not start"
            time.sleep(0.2)  # polling the server's state
        ids = []
        for i in range(20):
            r = httpx.post(url + "/predict", json={"x": float(i), "group": "a"},
                           headers={"connection": "close"}, timeout=10)
            assert r.status_code == 200 and r.json()["prediction"] == 2.0 * i + 4.5, r.text
            ids.append(r.json()["request_id"])
        assert httpx.post(url + "/predict", json={"x": "bad"}, timeout=10).status_code == 422
        metrics = httpx.get(url + "/metrics", timeout=10).text
        served = [x for x in metrics.splitlines()
                  if x.startswith('hyperflow_requests_total{method="POST",route="/predict",status="200"}')]
        assert sum(float(x.split()[-1]) for x in served) == 20  # both workers' sum
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert set(hf.predictions.search("demo")["request_id"]) == set(ids)  # flushed at the stop


def test_an_unknown_server_is_refused_before_loading_anything(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "hyperflow", "serve", "demo@production", "--server", "gunicorn"],
        cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2 and "unknown server 'gunicorn'" in proc.stderr
