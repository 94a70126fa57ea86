"""Real receivers on 127.0.0.1 for the channel tests: an HTTP webhook and an SMTP server."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    bodies: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    fail_first: int = 0
    status: int = 200
    event: threading.Event = field(default_factory=threading.Event)


@contextmanager
def webhook_receiver(fail_first: int = 0, status: int = 200) -> Iterator[tuple[str, Received]]:
    """An HTTP server recording POSTs; the first ``fail_first`` get a 503."""
    got = Received(fail_first=fail_first, status=status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers["Content-Length"]))
            if got.fail_first > 0:
                got.fail_first -= 1
                self.send_response(503)
            else:
                got.bodies.append((dict(self.headers), data))
                got.event.set()
                self.send_response(got.status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def smtp_server() -> Iterator[tuple[int, list[Any]]]:
    """``aiosmtpd`` on loopback; yields its port and the list of received envelopes."""
    from aiosmtpd.controller import Controller

    messages: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            messages.append(envelope)
            return "250 OK"

    with socket.socket() as probe:  # aiosmtpd needs a concrete port to check its own start
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    ctl = Controller(Handler(), hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield port, messages
    finally:
        ctl.stop()
