"""``serve()`` runs uvicorn on a socket it was given (or binds): it reports itself
(start line, access log), Ctrl-C (SIGINT) shuts down gracefully and flushes the log,
and a busy port is a one-line ``ServeError``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

import hyperflow as hf
from tests.serve.conftest import bound_socket
from tests.serve.models import price_predictor

SCRIPT = """
import json, socket, sys
from hyperflow.serve import InMemoryPredictionLog, serve
from tests.serve.models import price_predictor

class FileLog(InMemoryPredictionLog):
    def write(self, records):
        with open(sys.argv[2], "a") as f:
            for r in records:
                f.write(json.dumps({"request_id": r.request_id, "output": r.output}) + "\\n")

sock = socket.socket(fileno=int(sys.argv[1]))  # bound by the test: no port race
serve(price_predictor(), sockets=[sock], prediction_log=FileLog(), log_level="info")
"""


class Lines:
    """Collects a subprocess's stderr lines on a thread; ``wait_for`` polls them."""

    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, proc: subprocess.Popen[str]) -> str:
        deadline = time.monotonic() + 60
        while True:
            found = [line for line in self.lines if text in line]
            if found:
                return found[0]
            assert proc.poll() is None, "\n".join(self.lines)
            assert time.monotonic() < deadline, f"no line with {text!r}: {self.lines}"
            time.sleep(0.02)


def test_serve_reports_itself_and_sigint_flushes_the_log(tmp_path: Path) -> None:
    sock, out = bound_socket(), tmp_path / "log.jsonl"
    port = sock.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}"}
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(sock.fileno()), str(out)],
        env=env,
        pass_fds=[sock.fileno()],
        stderr=subprocess.PIPE,
        text=True,
    )
    sock.close()  # the child holds it now
    lines = Lines(proc.stderr)
    try:
        url = f"http://127.0.0.1:{port}"
        start = lines.wait_for("hyperflow serve:", proc)
        assert f"house 1.0.0 (alias production) at {url} - docs {url}/docs" in start
        ids = [
            httpx.post(url + "/predict", json={"rooms": i, "area": 0.0}).json()["request_id"]
            for i in range(5)
        ]
        line = lines.wait_for('"route": "/predict"', proc)
        access = json.loads(line[line.index("{") :])
        assert access["method"] == "POST" and access["status"] == 200 and access["ms"] > 0
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
    logged = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["request_id"] for r in logged] == ids
    assert [json.loads(r["output"]) for r in logged] == [0.0, 10.0, 20.0, 30.0, 40.0]


def test_a_busy_port_is_a_one_line_error_naming_it() -> None:
    busy = bound_socket()
    busy.listen()
    port = busy.getsockname()[1]
    with busy, pytest.raises(hf.ServeError) as info:
        hf.serve.serve(price_predictor(), port=port)
    message = str(info.value)
    assert f"port {port} on 127.0.0.1 is already in use" in message and "\n" not in message
