"""``serve_workers``: N worker processes serving one listening socket, supervised.

The parent reserves the port, makes a private ``PROMETHEUS_MULTIPROC_DIR`` (so
``/metrics`` in any worker sums all of them), and starts N fresh interpreters
(``spawn``: no state, lock or store connection is inherited). Each worker builds
the app from the model reference and listens on its own ``SO_REUSEPORT`` socket
of the port, so the kernel spreads connections between them (sockets passed in,
e.g. ``--fd``, are shared by the workers instead). Every worker has its own prediction log
writer, feedback check (through the shared log) and reload poller, so with a
shared store (PostgreSQL) the log holds every worker's rows and a moved alias
reaches every worker within ``poll_interval_s``; a ``POST /admin/reload`` answered by
one worker is replayed by all the others at once (``_peers``).

A worker that dies after it started is replaced (its live gauges marked dead);
one that fails before it started stops the service. SIGINT or SIGTERM stops the
workers gracefully (each flushes its log); the folder is removed at exit. A worker
whose supervisor was killed outright (SIGKILL, OOM) stops itself the same way.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

from hyperflow._errors import HyperflowError, ServeError
from hyperflow.serve._multiproc import MULTIPROC_ENV
from hyperflow.serve._peers import ReloadBroadcast

__all__ = ["STARTUP_FAILED", "WorkerSpec", "serve_workers"]

STARTUP_FAILED = 3
"""Exit code of a worker that could not start serving (the parent stops then)."""
_STOP_TIMEOUT_S = 60.0
_ORPHAN_CHECK_S = 0.5
_log = logging.getLogger("hyperflow.serve")


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker needs to build and run its server (picklable)."""

    model: Any
    workers: int
    server: dict[str, Any] = field(default_factory=dict)
    app: dict[str, Any] = field(default_factory=dict)
    own_socket: bool = False
    """Each worker listens on its own socket of the port's ``SO_REUSEPORT`` group (the
    socket given is the group's anchor: ``_run.bind_group``); else all share it."""
    parent: int = field(default_factory=os.getpid)


def _stop_when_orphaned(parent: int) -> None:
    """SIGTERM this worker (a graceful stop: the log is flushed) once its parent is gone."""
    while os.getppid() == parent:
        time.sleep(_ORPHAN_CHECK_S)
    _log.warning("hyperflow serve: the supervising process %d is gone; stopping", parent)
    os.kill(os.getpid(), signal.SIGTERM)


def _following(app: Any, reloads: Any, started: Any) -> Callable[[], None]:
    """Called on the worker's event loop once it listens: mark it started and replay the
    reloads other workers announce (``_peers``)."""
    service = app.state.hyperflow
    service.broadcast = ReloadBroadcast(reloads)

    def on_started() -> None:
        started.set()
        asyncio.get_running_loop().create_task(service.broadcast.follow(service))

    return on_started


def _worker_main(
    spec: WorkerSpec, index: int, sock: socket.socket, started: Any, reloads: Any
) -> None:
    """A worker's body: build the app, serve ``sock`` until told to stop (or orphaned)."""
    from hyperflow.serve._app import create_app
    from hyperflow.serve._run import banner_of, build_server, listen_in_group

    threading.Thread(
        target=_stop_when_orphaned, args=(spec.parent,), name="hyperflow-orphan", daemon=True
    ).start()
    try:
        if spec.own_socket:
            anchor, sock = sock, listen_in_group(sock)
            anchor.close()
        app = create_app(spec.model, **spec.app)
        banner = None
        if index == 0:
            root_path = spec.server.get("root_path", "")
            banner = f"{banner_of(app, sock, root_path)} ({spec.workers} workers)"
        on_started = _following(app, reloads, started)
        server = build_server(app, banner=banner, on_started=on_started, **spec.server)
        server.run(sockets=[sock])
    except HyperflowError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        sys.exit(STARTUP_FAILED)
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group
        pass


class _Worker:
    def __init__(self, spec: WorkerSpec, index: int, sock: socket.socket, reloads: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self.started = context.Event()
        self.process: BaseProcess = context.Process(
            target=_worker_main,
            args=(spec, index, sock, self.started, reloads),
            name=f"hyperflow-worker-{index}",
        )
        self.process.start()


class _Supervisor:
    def __init__(self, spec: WorkerSpec, sock: socket.socket) -> None:
        self.spec, self.sock = spec, sock
        self.stop = threading.Event()
        self.failed: str | None = None
        self.workers: list[_Worker] = []
        self.reloads = multiprocessing.get_context("spawn").Value("q", 0)
        """The reload counter every worker watches (``_peers.ReloadBroadcast``)."""

    def _signal(self, signum: int, frame: Any) -> None:
        self.stop.set()

    def run(self) -> None:
        previous = {s: signal.signal(s, self._signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.workers = [
                _Worker(self.spec, i, self.sock, self.reloads) for i in range(self.spec.workers)
            ]
            while not self.stop.wait(0.2):
                self._replace_dead()
        finally:
            self._stop_all()
            for s, handler in previous.items():
                signal.signal(s, handler)
        if self.failed:
            raise ServeError(self.failed)

    def _replace_dead(self) -> None:
        from prometheus_client import multiprocess

        for i, worker in enumerate(self.workers):
            proc = worker.process
            if proc.is_alive():
                continue
            if not worker.started.is_set() or proc.exitcode == STARTUP_FAILED:
                self.failed = (
                    f"worker {i} failed to start (exit code {proc.exitcode}); see its error above"
                )
                self.stop.set()
                return
            _log.warning(
                "hyperflow serve: worker %d (pid %s) exited with code %s; starting another",
                i,
                proc.pid,
                proc.exitcode,
            )
            multiprocess.mark_process_dead(proc.pid)  # type: ignore[no-untyped-call]
            self.workers[i] = _Worker(self.spec, i, self.sock, self.reloads)

    def _stop_all(self) -> None:
        for worker in self.workers:
            if worker.process.is_alive() and worker.process.pid is not None:
                os.kill(worker.process.pid, signal.SIGTERM)
        for worker in self.workers:
            worker.process.join(_STOP_TIMEOUT_S)
            if worker.process.is_alive():
                _log.warning(
                    "hyperflow serve: worker %s did not stop; killing it", worker.process.pid
                )
                worker.process.kill()
                worker.process.join()


def serve_workers(spec: WorkerSpec, sock: socket.socket) -> None:
    """Run ``spec.workers`` workers on ``sock`` until SIGINT/SIGTERM (see the module doc).

    Raises:
        ServeError: a worker failed to start (its own error is on stderr).
    """
    if spec.workers < 1:
        raise ServeError(f"workers must be >= 1, but got {spec.workers}")
    folder = tempfile.mkdtemp(prefix="hyperflow-metrics-")
    before = os.environ.get(MULTIPROC_ENV)
    os.environ[MULTIPROC_ENV] = folder  # inherited by the spawned workers
    try:
        _Supervisor(spec, sock).run()
    finally:
        if before is None:
            os.environ.pop(MULTIPROC_ENV, None)
        else:
            os.environ[MULTIPROC_ENV] = before
        shutil.rmtree(folder, ignore_errors=True)
