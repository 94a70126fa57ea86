"""The SQL prediction log written by a child process (``LogWriter(process=True)``)."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hyperflow.serve import InMemoryPredictionLog, SQLPredictionLog
from hyperflow.serve._log_process import LogProcess
from hyperflow.serve._writer import LogWriter
from hyperflow.store._log_policy import LogPolicy, PolicyPredictionLog


def _submit(writer: LogWriter, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        writer.submit(f"r{i}", "m", "1.0.0", time.time(), 0.5, {"x": i, "email": "a@b.c"}, i % 3)


def _child_pid(writer: LogWriter) -> int:
    assert writer._child is not None, "the SQL log was not handed to a writer process"
    return writer._child._proc.pid


def test_a_child_process_writes_every_row_and_reports_its_counts(store_url: str) -> None:
    log = SQLPredictionLog(store_url)
    writer = LogWriter(log, batch_size=100, process=True)
    writer.start()
    assert _child_pid(writer) != os.getpid()
    _submit(writer, 450)
    writer.submit_feedback("r7", "late", time.time())
    writer.close()
    assert writer.written == 450 and writer.failed == 0 and writer.pending == 0
    rows = log.search("m")
    assert len(rows) == 450 and set(rows["request_id"]) == {f"r{i}" for i in range(450)}
    assert rows.set_index("request_id").loc["r7", "ground_truth"] == "late"
    assert rows.set_index("request_id").loc["r8", "inputs"] == {"x": 8, "email": "a@b.c"}


def test_the_personal_data_policy_is_applied_in_the_child(tmp_path: Path) -> None:
    inner = SQLPredictionLog(f"sqlite:///{tmp_path}/p.db")
    policy = LogPolicy.from_config({"fields": {"email": "drop"}})
    writer = LogWriter(PolicyPredictionLog(inner, policy), process=True)
    writer.start()
    assert writer._child is not None
    _submit(writer, 20)
    writer.close()
    assert [r for r in inner.search("m")["inputs"] if "email" in r] == []


def test_other_logs_stay_on_the_thread() -> None:
    writer = LogWriter(InMemoryPredictionLog(), process=True)
    writer.start()
    assert writer._child is None and not LogProcess.suits(writer.log)
    _submit(writer, 3)
    writer.close()
    assert writer.written == 3


def test_a_value_that_does_not_pickle_is_written_by_the_thread(tmp_path: Path) -> None:
    log = SQLPredictionLog(f"sqlite:///{tmp_path}/p.db")
    writer = LogWriter(log, process=True)
    writer.start()
    writer.submit("odd", "m", "1", time.time(), 1.0, {"x": 1}, lambda: None)  # no pickle
    writer.close()
    assert writer.written == 1
    assert log.search("m")["output"].iloc[0].startswith("<function")


def test_if_the_child_dies_the_thread_takes_over_and_counts_the_loss(tmp_path: Path) -> None:
    log = SQLPredictionLog(f"sqlite:///{tmp_path}/p.db")
    writer = LogWriter(log, batch_size=50, flush_interval_s=0.05, process=True)
    writer.start()
    _submit(writer, 100)
    deadline = time.monotonic() + 30
    while writer.pending and time.monotonic() < deadline:
        time.sleep(0.05)
    assert writer.pending == 0 and writer.written == 100
    os.kill(_child_pid(writer), signal.SIGKILL)
    writer._child._proc.wait(10)  # type: ignore[union-attr]
    _submit(writer, 100, start=100)
    writer.close()
    logged = set(log.search("m")["request_id"])
    assert {f"r{i}" for i in range(100)} <= logged  # confirmed before the kill
    # after the kill every row is either written (by the thread) or counted as lost
    assert writer.written + writer.failed == 200 and len(logged) == writer.written


def test_a_killed_server_leaves_no_child_and_keeps_what_it_sent(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    script = textwrap.dedent(
        f"""
        import os, signal, time
        from hyperflow.serve import SQLPredictionLog
        from hyperflow.serve._writer import LogWriter
        w = LogWriter(SQLPredictionLog("sqlite:///{db}"), process=True)
        w.start()
        for i in range(300):
            w.submit(f"r{{i}}", "m", "1", time.time(), 1.0, {{"x": i}}, i)
        w._drain_all()  # sent to the child, maybe not yet written
        print(w._child._proc.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    child = int(proc.stdout.split()[0])
    deadline = time.monotonic() + 30
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the writer process outlived the server"
    assert len(SQLPredictionLog(f"sqlite:///{db}").search("m")) == 300


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_log_pickles_as_its_full_url(postgres_url: str) -> None:
    log = pickle.loads(pickle.dumps(SQLPredictionLog(postgres_url)))
    assert isinstance(log, SQLPredictionLog) and log.store.sqlalchemy_url == postgres_url


@pytest.mark.parametrize("n", [0, 1])
def test_closing_an_idle_writer_ends_its_child(tmp_path: Path, n: int) -> None:
    writer = LogWriter(SQLPredictionLog(f"sqlite:///{tmp_path}/p.db"), process=True)
    writer.start()
    pid = _child_pid(writer)
    _submit(writer, n)
    writer.close(timeout_s=20)
    assert writer.written == n and not _alive(pid)


def test_the_child_runs_below_the_server_in_the_scheduler(tmp_path: Path) -> None:
    """Its bursts of encoding and inserting must not preempt the event loop."""
    import psutil

    writer = LogWriter(SQLPredictionLog(f"sqlite:///{tmp_path}/p.db"), process=True)
    writer.start()
    try:
        child = psutil.Process(_child_pid(writer))
        deadline = time.monotonic() + 30
        while child.nice() == os.nice(0) and time.monotonic() < deadline:
            time.sleep(0.05)  # the child lowers itself first thing after it starts
        assert child.nice() == min(os.nice(0) + 10, 19)
    finally:
        writer.close()
