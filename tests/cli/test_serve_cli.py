"""`hyperflow serve NAME@ALIAS` as a real process on 127.0.0.1, on a socket the test binds
first and hands over (`--fd`), so no other process can take the port in between."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import hyperflow as hf
from hyperflow import registry
from tests.serve.processes import ServeProcess, cli_env, register_demo, serve_once


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Path]:
    register_demo(tmp_path)
    yield tmp_path


@pytest.mark.slow
def test_serve_reports_itself_reloads_and_stops_cleanly(demo: Path) -> None:
    server = ServeProcess(
        ["demo@production", "--poll", "0.2", "--max-batch-size", "4", "--max-wait-ms", "2"],
        demo,
        cli_env(),
    )
    try:
        start = server.wait_for("http://127.0.0.1:")
        assert "demo" in start and "0.1.0" in start and "production" in start
        assert f":{server.port}" in start and "/docs" in start
        with httpx.Client(base_url=server.url, timeout=10) as client:
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
    assert code == 0
    assert len(hf.predictions.search("demo")) == 1  # flushed on shutdown


@pytest.mark.slow
def test_serve_without_access_log(demo: Path) -> None:
    server = ServeProcess(["demo@production", "--no-access-log"], demo, cli_env())
    try:
        server.wait_for("http://127.0.0.1:")
        with httpx.Client(base_url=server.url, timeout=10) as client:
            assert client.get("/health").status_code == 200
    finally:
        assert server.stop() == 0
    assert not [line for line in server.lines if '"path":' in line]


def test_serve_command_reports_an_unknown_model(tmp_path: Path) -> None:
    (tmp_path / "hyperflow.toml").write_text('name = "demo"\n')
    proc = serve_once(["nope@production", "--port", "0"], tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: no model 'nope' in the registry")


def test_serve_on_a_busy_port_is_one_line_naming_it(demo: Path) -> None:
    busy = socket.create_server(("127.0.0.1", 0))
    port = busy.getsockname()[1]
    try:
        proc = serve_once(["demo@production", "--port", str(port)], demo)
    finally:
        busy.close()
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: port") and str(port) in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
