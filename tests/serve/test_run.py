"""``serve()`` runs uvicorn; Ctrl-C (SIGINT) shuts down gracefully and flushes the log."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

SCRIPT = """
import json, sys
from hyperflow.serve import InMemoryPredictionLog, serve
from tests.serve.models import price_predictor

class FileLog(InMemoryPredictionLog):
    def write(self, records):
        with open(sys.argv[2], "a") as f:
            for r in records:
                f.write(json.dumps({"request_id": r.request_id, "output": r.output}) + "\\n")

serve(price_predictor(), port=int(sys.argv[1]), prediction_log=FileLog(), log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_runs_uvicorn_and_sigint_flushes_the_log(tmp_path: Path) -> None:
    port, out = _free_port(), tmp_path / "log.jsonl"
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}"}
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(port), str(out)], env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        ids = [
            httpx.post(url + "/predict", json={"rooms": i, "area": 0.0}).json()["request_id"]
            for i in range(5)
        ]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
    logged = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["request_id"] for r in logged] == ids
    assert [json.loads(r["output"]) for r in logged] == [0.0, 10.0, 20.0, 30.0, 40.0]
