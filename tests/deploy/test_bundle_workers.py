"""``build(..., workers=N)``: the image and the Deployment run N worker processes, and the
bundle's own entry serves with them (real processes on 127.0.0.1, metrics summed, rows
logged)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from dockerfile_parse import DockerfileParser

import hyperflow as hf
from hyperflow.deploy import build
from tests.serve.processes import free_port

ROW = {"x": 2.0, "group": "a"}


def test_workers_reach_the_dockerfile_and_the_deployment(registered: str, tmp_path: Path) -> None:
    import kubernetes_validate

    bundle = build("demo@production", tmp_path / "out", store=registered, workers=3)
    parser = DockerfileParser(path=str(bundle.path / "Dockerfile"))
    cmd = json.loads(next(i["value"] for i in parser.structure if i["instruction"] == "CMD"))
    assert cmd == bundle.command and cmd[-2:] == ["--workers", "3"]
    deployment = yaml.safe_load((bundle.path / "k8s/deployment.yaml").read_text())
    kubernetes_validate.validate(deployment, "1.30", strict=True)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == cmd and container["resources"]["limits"]["cpu"] == "3"
    one = build("demo@production", tmp_path / "one", store=registered)
    assert one.command[0] == "uvicorn" and "--workers" not in one.command


def test_workers_below_one_are_refused(registered: str, tmp_path: Path) -> None:
    with pytest.raises(hf.DeployError, match="workers must be an integer >= 1, but got 0"):
        build("demo@production", tmp_path / "out", store=registered, workers=0)
    assert not (tmp_path / "out").exists()


def _metric(url: str, name: str) -> float:
    text = httpx.get(url + "/metrics", headers={"connection": "close"}, timeout=10).text
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name))


@pytest.mark.slow
def test_the_bundle_entry_serves_with_two_workers(registered: str, tmp_path: Path) -> None:
    bundle = build("demo@production", tmp_path / "out", store=registered, workers=2)
    port, log = free_port(), tmp_path / "log.db"
    command = [sys.executable, *bundle.command[1:]]
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = str(port)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HYPERFLOW_STORE")}
    env["HYPERFLOW_PREDICTION_LOG"] = f"sqlite:///{log}"
    proc = subprocess.Popen(command, cwd=bundle.path, env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while _workers_up(url) < 2:
            assert proc.poll() is None and time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)  # polling the server's state
        ids = []
        for _ in range(20):  # fresh connections: both workers take some
            r = httpx.post(url + "/predict", json=ROW, headers={"connection": "close"})
            assert r.status_code == 200 and r.json()["version"] == "0.1.0"
            ids.append(r.json()["request_id"])
        served = _metric(url, 'hyperflow_requests_total{method="POST",route="/predict",status="200"}')
        assert served == 20  # the sum over both workers, whichever answered /metrics
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    with sqlite3.connect(log) as db:
        logged = {r[0] for r in db.execute("SELECT request_id FROM hf_predictions")}
    assert logged == set(ids)


def _workers_up(url: str) -> float:
    try:
        return _metric(url, "hyperflow_workers")
    except httpx.HTTPError:
        return 0
