"""A real uvicorn server on 127.0.0.1 (a pre-bound socket) in a background thread,
and raw-socket helpers for requests that httpx will not send."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn


def bound_socket() -> socket.socket:
    """A socket bound to a free loopback port and kept open (no bind-close-reuse race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class Running:
    """A started server: ``url``, an httpx ``client``, and ``stop()`` (graceful).

    ``server`` builds the ``uvicorn.Server`` (default: plain uvicorn with ``config``).
    """

    def __init__(
        self, app: Any, server: Callable[[Any], uvicorn.Server] | None = None, **config: Any
    ) -> None:
        self.app = app
        sock = bound_socket()
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        if server is None:
            options = {"log_level": "warning", "access_log": False, "lifespan": "on", **config}
            self.server = uvicorn.Server(uvicorn.Config(app, **options))
        else:
            self.server = server(app)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        self.client = httpx.Client(base_url=self.url, timeout=10)

    def stop(self) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(15)

    def connect(self, timeout: float = 10.0) -> socket.socket:
        """A raw TCP connection to the server."""
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def raw(self, data: bytes, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
        """Send ``data`` as is and read one response: status, headers, body."""
        with self.connect(timeout) as conn:
            conn.sendall(data)
            return read_response(conn)


def read_response(conn: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read one HTTP/1.1 response (Content-Length framed, or up to the close)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError(f"the server closed the connection; got {buf!r}")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in lines[1:])}
    size = int(headers.get("content-length", "-1"))
    while size < 0 or len(body) < size:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


@contextlib.contextmanager
def servers() -> Iterator[Callable[..., Running]]:
    """A ``start(app, **options)`` function; every server started is stopped at the end."""
    started: list[Running] = []

    def start(app: Any, **options: Any) -> Running:
        r = Running(app, **options)
        started.append(r)
        return r

    try:
        yield start
    finally:
        for r in started:
            if r.thread.is_alive():
                r.stop()


@pytest.fixture
def serve_app() -> Iterator[Callable[..., Running]]:
    with servers() as start:
        yield start


@pytest.fixture
def logs(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> pytest.LogCaptureFixture:
    """Every record of uvicorn and hyperflow.serve (their loggers may not propagate once
    a server configured logging)."""
    for name in ("uvicorn", "uvicorn.error", "hyperflow.serve", "hyperflow.serve.access"):
        monkeypatch.setattr(logging.getLogger(name), "propagate", True)
        caplog.set_level(logging.INFO, logger=name)
    caplog.set_level(logging.INFO)
    return caplog
