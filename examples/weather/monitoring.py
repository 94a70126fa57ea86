"""The demo's monitoring step: check the replayed traffic and alert a local webhook.

The model was trained on 2012–2013; the replayed 2014–2015 days carry a real label shift
(far more days labelled ``sun``, far fewer ``rain``/``drizzle``), which the check finds
as target drift and as an accuracy drop measured from the feedback. The alert goes to a
webhook receiver started here on 127.0.0.1 (Slack-compatible JSON, HMAC-signed).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import hyperflow as hf
from hyperflow.monitor import AlertConfig

RULES = [
    AlertConfig(
        "weather-label-shift",
        "drift.target >= 1 or (metrics.accuracy < 0.75 and feedback.count >= 100)",
        severity="critical",
        channels=["receiver"],
        description="the labels or the live accuracy moved away from training",
    )
]


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local HTTP server that keeps the alert bodies it receives."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alerts", received
    finally:
        server.shutdown()
        server.server_close()


def check_traffic(n_requests: int) -> tuple[hf.monitor.Check, list[dict[str, Any]]]:
    """One check over the replayed requests; returns it and the alerts the receiver got."""
    with webhook_receiver() as (url, received):
        cfg = hf.monitor.monitor_config()  # [tool.hyperflow.monitor] of pyproject.toml
        cfg.channels["receiver"] = {"type": "webhook", "url": url, "secret": "demo"}
        cfg.alerts = RULES
        result = hf.monitor.check("weather@production", last=n_requests, config=cfg)
    return result, [r["hyperflow"] for r in received]
