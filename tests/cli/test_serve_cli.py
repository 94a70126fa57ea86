"""`hyperflow serve NAME@ALIAS` as a real process on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import hyperflow as hf
from hyperflow import registry
from tests.registry import models

ROOT = Path(__file__).resolve().parents[2]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_command_serves_the_alias_and_stops_cleanly(tmp_path: Path) -> None:
    (tmp_path / "hyperflow.toml").write_text('name = "demo"\n')
    run = models.train.run(config={"model.scale": 2.0}, outputs=["model", "metrics"])
    registry.register("demo", run_id=run.run_id, predict=models.predict)
    registry.set_alias("demo", "production", "0.1.0")
    port = _port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "hyperflow", "serve", "demo@production", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                try:
                    if client.get("/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "server not ready in 60 s"
                time.sleep(0.2)
            answer = client.post("/predict", json={"x": 1.0, "group": "a"}).json()
            assert answer["prediction"] == 2.0 * 1.0 + 4.5
            assert client.get("/version").json()["version"] == "0.1.0"
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
    assert code == 0
    assert len(hf.predictions.search("demo")) == 1  # flushed on shutdown


def test_serve_command_reports_an_unknown_model(tmp_path: Path) -> None:
    (tmp_path / "hyperflow.toml").write_text('name = "demo"\n')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]))
    proc = subprocess.run(
        [sys.executable, "-m", "hyperflow", "serve", "nope@production", "--port", str(_port())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: no model 'nope' in the registry")
