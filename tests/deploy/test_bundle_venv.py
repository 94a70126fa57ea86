"""The bundle runs without Docker: a fresh venv from its requirements.txt alone serves it.

Installs the pinned requirements from PyPI (pip's cache keeps reruns fast) into a new
virtual environment that cannot see this checkout, starts the bundle's own entry command
(uvicorn) on 127.0.0.1 and checks its predictions against the registry's.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import venv
from pathlib import Path

import httpx
import pytest

from hyperflow import registry
from hyperflow.deploy import build

pytestmark = pytest.mark.slow


def _environment(root: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(root)
    return root / "bin" / "python"


def _install(python: Path, requirements: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "-r", str(requirements)],
        env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


def _serve(bundle: Path, command: list[str], python: Path) -> tuple[subprocess.Popen[bytes], int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    args = [*command[: command.index("--host")], "--fd", str(sock.fileno())]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HYPERFLOW_STORE")}
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.Popen(
        [str(python.parent / args[0]), *args[1:]], cwd=bundle, env=env, pass_fds=[sock.fileno()],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    port = sock.getsockname()[1]
    sock.close()  # the child holds its own copy
    return proc, port


def test_a_fresh_venv_from_requirements_alone_serves_correct_predictions(
    registered: str, tmp_path: Path
) -> None:
    bundle = build("demo@production", tmp_path / "bundle", store=registered)
    python = _environment(tmp_path / "venv")
    _install(python, bundle.path / "requirements.txt")
    probe = subprocess.run(
        [str(python), "-c", "import hyperflow"], capture_output=True, text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, cwd=tmp_path,
    )
    assert probe.returncode != 0  # the venv has no hyperflow of its own: the bundle carries it
    proc, port = _serve(bundle.path, bundle.command, python)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + 120
            while True:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                try:
                    if client.get("/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the bundle did not become ready"
                time.sleep(0.1)
            rows = [{"x": 2.0, "group": "a"}, {"x": -1.5, "group": "b"}]
            expected = registry.load("demo@production", store=registered)(rows)
            got = [client.post("/predict", json=row).json()["prediction"] for row in rows]
            assert got == expected
            assert "hyperflow_requests_total" in client.get("/metrics").text
    finally:
        proc.terminate()
        proc.wait(30)
