"""`hyperflow serve ...` as a real process on a socket the test binds first (`--fd`), its
output collected line by line, and a registered two-version model to serve."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from hyperflow import registry
from tests.registry import models

ROOT = Path(__file__).resolve().parents[2]
HYPERFLOW = (sys.executable, "-m", "hyperflow")  # the command line (an installed script's too)


def free_port() -> int:
    """A loopback port free a moment ago (for a server that binds it itself)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_env(*, trusted: str | None = "tests", **extra: str) -> dict[str, str]:
    """The environment of a `hyperflow` process run from the repository: its sources on the
    path and (by default) the test suite's modules trusted, since the predict pipelines of
    the test models live there (``trusted=None``: only what hyperflow trusts itself)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]), **extra)
    if trusted is not None:
        env["HYPERFLOW_TRUSTED_MODULES"] = trusted
    return env


def register_demo(folder: Path) -> None:
    """``demo`` 0.1.0 (slope 2) and 0.2.0 (slope 3) in the current store; production -> 0.1.0."""
    (folder / "hyperflow.toml").write_text('name = "demo"\n')
    for scale in (2.0, 3.0):
        run = models.train.run(config={"model.scale": scale}, outputs=["model", "metrics"])
        registry.register("demo", run_id=run.run_id, predict=models.predict)
    registry.set_alias("demo", "production", "0.1.0")


def serve_once(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`hyperflow serve ARGS` run to its end (one that is refused at the start), output kept."""
    return subprocess.run(
        [*HYPERFLOW, "serve", *args],
        cwd=cwd,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


class ServeProcess:
    """A `hyperflow serve` process on a fresh loopback socket (``command``: how hyperflow
    is started, e.g. an installed console script)."""

    def __init__(
        self,
        args: list[str],
        cwd: Path,
        env: dict[str, str],
        *,
        command: Sequence[str] = HYPERFLOW,
        port: int | None = None,
    ) -> None:
        """``port``: let the server bind it itself (``--port``), as a user runs it."""
        sock = socket.socket()
        if port is None:
            sock.bind(("127.0.0.1", 0))
            sock.listen(256)
            port = sock.getsockname()[1]
            listen, fds = ["--fd", str(sock.fileno())], [sock.fileno()]
        else:
            listen, fds = ["--port", str(port)], []
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [*command, "serve", *args, *listen],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            pass_fds=fds,
        )
        sock.close()  # the server holds it now (or binds its own)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.lines if text in line]
            if found:
                return found[-1]
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)  # polling the collected output, not a synchronisation sleep
        raise AssertionError(f"no line with {text!r}:\n" + "\n".join(self.lines))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=90)
