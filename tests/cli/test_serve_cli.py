"""`hyperflow serve NAME@ALIAS` as a real process on 127.0.0.1, on a socket the test binds
first and hands over (`--fd`), so no other process can take the port in between."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import hyperflow as hf
from hyperflow import registry
from tests.registry import models

ROOT = Path(__file__).resolve().parents[2]
ENV = dict(
    os.environ,
    PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    HYPERFLOW_TRUSTED_MODULES="tests",  # the predict pipeline lives in the test suite
)


def _listening() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


class _Server:
    """A `hyperflow serve` process; its output lines are collected as they come."""

    def __init__(self, args: list[str], cwd: Path, sock: socket.socket) -> None:
        self.lines: list[str] = []
        self.port = sock.getsockname()[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hyperflow", "serve", *args, "--fd", str(sock.fileno())],
            cwd=cwd,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            pass_fds=[sock.fileno()],
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.lines if text in line]
            if found:
                return found[-1]
            if self.proc.poll() is not None:
                self.proc.wait()
                break
            time.sleep(0.05)  # polling the collected output, not a synchronisation sleep
        raise AssertionError(f"no line with {text!r} in {timeout}s:\n" + "\n".join(self.lines))

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=60)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "hyperflow.toml").write_text('name = "demo"\n')
    for scale in (2.0, 3.0):
        run = models.train.run(config={"model.scale": scale}, outputs=["model", "metrics"])
        registry.register("demo", run_id=run.run_id, predict=models.predict)
    registry.set_alias("demo", "production", "0.1.0")
    yield tmp_path


@pytest.mark.slow
def test_serve_reports_itself_reloads_and_stops_cleanly(demo: Path) -> None:
    sock = _listening()
    server = _Server(
        ["demo@production", "--poll", "0.2", "--max-batch-size", "4", "--max-wait-ms", "2"],
        demo,
        sock,
    )
    try:
        start = server.wait_for("http://127.0.0.1:")
        assert "demo" in start and "0.1.0" in start and "production" in start
        assert f":{server.port}" in start and "/docs" in start
        with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=10) as client:
            answer = client.post("/predict", json={"x": 1.0, "group": "a"}).json()
            assert answer["prediction"] == 2.0 * 1.0 + 4.5
            assert client.post("/predict", json={"x": "one"}).status_code == 422
            access = server.wait_for('"path": "/predict"')
            assert '"status": 200' in access or '"status": 422' in access
            assert "cdn" not in client.get("/docs").text.lower()
            registry.set_alias("demo", "production", "0.2.0")  # picked up by --poll
            assert "0.1.0 -> 0.2.0" in server.wait_for("reloaded")
            registry.rollback("demo", "production")
            server.wait_for("0.2.0 -> 0.1.0")
            assert client.get("/version").json()["version"] == "0.1.0"
    finally:
        code = server.stop()
        sock.close()
    assert code == 0
    assert len(hf.predictions.search("demo")) == 1  # flushed on shutdown


@pytest.mark.slow
def test_serve_without_access_log(demo: Path) -> None:
    sock = _listening()
    server = _Server(["demo@production", "--no-access-log"], demo, sock)
    try:
        server.wait_for("http://127.0.0.1:")
        with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=10) as client:
            assert client.get("/health").status_code == 200
    finally:
        assert server.stop() == 0
        sock.close()
    assert not [line for line in server.lines if '"path":' in line]


def test_serve_command_reports_an_unknown_model(tmp_path: Path) -> None:
    (tmp_path / "hyperflow.toml").write_text('name = "demo"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "hyperflow", "serve", "nope@production", "--port", "0"],
        cwd=tmp_path,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: no model 'nope' in the registry")


def test_serve_on_a_busy_port_is_one_line_naming_it(demo: Path) -> None:
    busy = _listening()
    port = busy.getsockname()[1]
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "hyperflow", "serve", "demo@production", "--port", str(port)],
            cwd=demo,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        busy.close()
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: port") and str(port) in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
