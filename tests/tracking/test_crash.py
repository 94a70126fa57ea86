"""A SIGKILLed owner leaves a readable store; its run shows failed; nothing logged is lost."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.tracking.conftest import spawn

import hyperflow as hf
from hyperflow.store import RunRecord, get_store

NOTEBOOK = """
import sys, time, hyperflow as hf
run = hf.start_run("doomed", params={"lr": 0.1})
for i in range(50):
    run.log_metrics({"loss": 1.0 / (i + 1)}, step=i)
run.log_artifact([1, 2, 3], "partial")
print(run.id, flush=True)
time.sleep(120)
"""

PIPELINE = """
import time, hyperflow as hf
def a(x: int) -> int:
    return x + 1
def b(a: int) -> int:
    print("in b", flush=True)
    time.sleep(120)
    return a
hf.Pipeline([a, b], name="slow").run(inputs={"x": 1}, track=True)
"""


def _wait_for(ready: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll ``ready`` until it holds (generous timeout; no fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def _nodes_flushed(pipeline: str, node: str) -> bool:
    """Whether the running run of ``pipeline`` has recorded ``node`` (read without reaping)."""
    store = get_store()
    return any(
        node in (store.get_run(r.run_id) or r).nodes for r in store.search_runs(pipeline=pipeline)
    )


def _kill_after_line(
    code: str,
    env: dict[str, str] | None = None,
    ready: Callable[[], bool] | None = None,
) -> str:
    proc = spawn(code, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line:
        proc.kill()
        raise AssertionError(proc.communicate()[1])
    if ready is not None:
        try:
            _wait_for(ready, "the heartbeat to flush the finished nodes")
        except AssertionError:
            proc.kill()
            raise
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    return line


def test_sigkilled_notebook_run_keeps_everything_logged(tmp_path: Path) -> None:
    run_id = _kill_after_line(NOTEBOOK)
    db = tmp_path / ".hyperflow" / "hyperflow.db"
    with sa.create_engine(f"sqlite:///{db}").connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    rec = hf.runs.get(run_id)
    assert rec.status == "failed"
    assert rec.error is not None and rec.error.startswith("abandoned")
    assert rec.params == {"lr": 0.1}
    assert len(hf.runs.history(run_id, "loss")) == 50
    assert rec.metrics == {"loss": 1.0 / 50}
    assert hf.runs.load_artifact(run_id, "partial") == [1, 2, 3]
    assert hf.runs.search(where="status = 'running'").empty


def test_sigkilled_pipeline_run_shows_failed_with_finished_nodes(tmp_path: Path) -> None:
    _kill_after_line(
        PIPELINE,
        env={"HYPERFLOW_HEARTBEAT_SECONDS": "0.1"},
        ready=lambda: _nodes_flushed("slow", "a"),
    )
    df = hf.runs.search(pipeline="slow")
    assert df["status"].tolist() == ["failed"]
    rec = hf.runs.get(df["run_id"][0])
    assert "abandoned" in (rec.error or "")
    assert set(rec.nodes) == {"a"}  # flushed with the heartbeat before the kill
    assert "a" in rec.lineage["code_versions"]


def _record(host: str, pid: int, heartbeat: float) -> RunRecord:
    now = time.time()
    return RunRecord(
        run_id=os.urandom(16).hex(),
        status="running",
        start_time=now - 1000,
        host=host,
        pid=pid,
        heartbeat=heartbeat,
    )


def test_runs_on_other_hosts_are_judged_by_their_heartbeat(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HYPERFLOW_HEARTBEAT_TIMEOUT", "60")
    store = get_store()
    stale = _record("another-host", 1, time.time() - 600)
    fresh = _record("another-host", 1, time.time() - 5)
    mine = _record(socket.gethostname(), os.getpid(), time.time() - 5)
    for rec in (stale, fresh, mine):
        store.create_run(rec)
    assert hf.runs.get(stale.run_id).status == "failed"
    assert hf.runs.get(fresh.run_id).status == "running"
    assert hf.runs.get(mine.run_id).status == "running"
