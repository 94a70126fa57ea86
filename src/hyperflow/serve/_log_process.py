"""The SQL prediction log written by a child process, so the event loop keeps the GIL.

With the writer as a thread of the server, every database call of a flush releases the
GIL and takes it back; under load each take-back waits for the busy event loop, and
these hand-overs cost a one-worker server 10–20 % of its throughput on 2 cores (the
writer thread's own CPU rose from 11 µs a row alone to ~80 µs a row beside the
loop), while an in-memory log cost nothing. So a log kept in a database
(``SQLPredictionLog``, with or without a personal-data policy) is written by a child
process: the writer thread sends each batch as one pickle over a socket pair and the
child encodes and inserts it, acknowledging every batch with its running totals.

The child lives as long as the socket: it ends when the server closes it (after the
last batch, at shutdown) or dies (it then writes what it received and exits). If the
child dies first, the batches it had not acknowledged are counted as failed and the
thread writes the rest itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from hyperflow.store import PredictionLog, SQLPredictionLog
from hyperflow.store._log_policy import PolicyPredictionLog

__all__ = ["LogProcess", "child_main"]

_log = logging.getLogger("hyperflow.serve")
_CHILD = "from hyperflow.serve._log_process import child_main; child_main({fd})"
_NICE = 10


def _rows(items: list[tuple[Any, ...]]) -> int:
    return sum(1 for it in items if it[0] == "p")


class LogProcess:
    """A child process that writes batches of ``LogWriter`` items to ``log``.

    Args:
        log: a log kept in a database (see ``suits``); it is pickled to the child,
            which opens its own connection.
    """

    def __init__(self, log: PredictionLog) -> None:
        ours, theirs = socket.socketpair()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD.format(fd=theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            env=env,
            start_new_session=True,  # Ctrl-C reaches the server, which then closes the log
        )
        theirs.close()
        self._conn = Connection(ours.detach())
        self._lock = threading.Lock()
        self._sent = 0
        self.written = 0
        self.failed = 0
        self.alive = True
        self._send(pickle.dumps(log))

    @staticmethod
    def suits(log: PredictionLog) -> bool:
        """Whether ``log`` keeps its rows in a database the child can open too."""
        inner = log.inner if isinstance(log, PolicyPredictionLog) else log
        return type(inner) is SQLPredictionLog

    @property
    def in_flight(self) -> int:
        """Predictions sent to the child and not yet acknowledged."""
        self.collect()
        return max(self._sent - self.written - self.failed, 0)

    def send(self, items: list[tuple[Any, ...]]) -> bool:
        """Hand ``items`` to the child; ``False`` when it cannot take them (the caller
        writes them itself): a value that does not pickle, or the child is gone."""
        if not self.alive:
            return False
        try:
            data = pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # an output pickle cannot carry: the thread encodes it instead
            return False
        if not self._send(data):
            return False
        self._sent += _rows(items)
        self.collect()
        return True

    def _send(self, data: bytes) -> bool:
        try:
            self._conn.send_bytes(data)
            return True
        except OSError:
            self._lost("it stopped taking batches")
            return False

    def collect(self) -> None:
        """Take in the acknowledgements that arrived (never waits)."""
        with self._lock:
            try:
                while self.alive and self._conn.poll():
                    self.written, self.failed = self._conn.recv()
            except (EOFError, OSError):
                self._lost("it closed its end")

    def _lost(self, why: str) -> None:
        if not self.alive:
            return
        self.alive = False
        lost = max(self._sent - self.written - self.failed, 0)
        self.failed += lost
        _log.error(
            "prediction log: the writer process (pid %d) ended early: %s; %d predictions "
            "sent to it were not confirmed and count as lost; writing on a thread from now",
            self._proc.pid, why, lost,
        )

    def close(self, timeout_s: float = 30.0) -> None:
        """Tell the child no more batches come, wait for its last acknowledgement, reap it."""
        deadline = time.monotonic() + timeout_s
        if self.alive and self._send(b""):
            with self._lock:
                try:
                    while self._conn.poll(max(deadline - time.monotonic(), 0.0)):
                        self.written, self.failed = self._conn.recv()
                except (EOFError, OSError):
                    pass  # the child closed its end after the last acknowledgement
        try:
            self._proc.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._sent > self.written + self.failed:
            self._lost(f"it did not confirm every batch within {timeout_s:g} s")
        self.alive = False
        self._conn.close()


def child_main(fd: int) -> None:
    """The child: read the log, then batches, until the server closes the socket."""
    from hyperflow.serve._writer import LogWriter

    # Below the server in the CPU scheduler: a batch's encoding and insert (~5 ms of CPU
    # every flush under load) would otherwise preempt the server's event loop on a busy
    # machine and show in its tail latency. The log still gets its share: it needs ~3 %.
    with contextlib.suppress(OSError):
        os.nice(_NICE)
    conn = Connection(fd)
    try:
        log = pickle.loads(conn.recv_bytes())
    except EOFError:
        return
    writer = LogWriter(log)  # never started: writes on this (the only) thread
    try:
        while True:
            try:
                data = conn.recv_bytes()
            except (EOFError, OSError):  # the server ended (a reset if it left acks
                data = b""  # unread): everything it sent has been read before this
            if data:
                writer.write_items(pickle.loads(data))
            with contextlib.suppress(OSError):  # a dead server reads no acknowledgement
                conn.send((writer.written, writer.failed))
            if not data:
                return
    finally:
        log.close()
        conn.close()
