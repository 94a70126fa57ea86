"""Alert channels behind one ABC: ``log``, ``webhook`` (Slack-compatible, HMAC-signed) and
``email`` (SMTP with STARTTLS/SSL and login).

A channel's ``send`` raises :class:`~hyperflow.MonitorError` after its retries; the alert
manager records the failure and carries on, so a failing channel never stops monitoring.
"""

from __future__ import annotations

import abc
import hashlib
import hmac
import json
import logging
import os
import smtplib
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from hyperflow._errors import MonitorError

__all__ = [
    "SIGNATURE_HEADER",
    "Channel",
    "EmailChannel",
    "LogChannel",
    "WebhookChannel",
    "make_channel",
    "render_text",
]

_log = logging.getLogger("hyperflow.monitor.alerts")
SIGNATURE_HEADER = "X-Hyperflow-Signature"


def render_text(body: dict[str, Any]) -> str:
    """A human-readable alert: status, rule, figures and the cause chain."""
    cause = body.get("cause", {})
    lines = [
        f"[{body.get('severity', '').upper()}] {body.get('rule')} is {body.get('status')} "
        f"for {body.get('target')} (version {cause.get('version')})",
        f"when: {body.get('when')}",
        "figures: " + ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in sorted(body.get("figures", {}).items())
        ),
        f"cause: run {cause.get('run_id')} config {cause.get('config')} data {cause.get('data')}",
    ]
    for col in cause.get("drifted_columns", []):
        lines.append(f"  drifted {col['column']}: {col['test']} score={col['score']}")
    if cause.get("report"):
        lines.append(f"report: {cause['report']}")
    return "\n".join(lines)


def _retry(action: Callable[[], None], retries: int, backoff: float, what: str) -> None:
    last: Exception | None = None
    for attempt in range(retries + 1):
        try:
            action()
            return
        except Exception as exc:  # every failure is retried, then reported
            last = exc
            if attempt < retries:
                time.sleep(backoff * 2**attempt)
    raise MonitorError(f"{what} failed after {retries + 1} attempt(s): {last}") from last


class Channel(abc.ABC):
    """Where alerts go. ``send`` delivers one alert body or raises ``MonitorError``."""

    name: str = "channel"

    @abc.abstractmethod
    def send(self, body: dict[str, Any]) -> None:
        """Deliver one alert (firing or resolved)."""


class LogChannel(Channel):
    """Alerts as log records of ``hyperflow.monitor.alerts`` (warning; resolved: info)."""

    def __init__(self, name: str = "log") -> None:
        self.name = name

    def send(self, body: dict[str, Any]) -> None:
        level = logging.INFO if body.get("status") == "resolved" else logging.WARNING
        _log.log(level, "%s", render_text(body))


class WebhookChannel(Channel):
    """POST a Slack-compatible JSON body (``text`` plus the alert under ``hyperflow``).

    With a ``secret``, the header ``X-Hyperflow-Signature: sha256=<hex>`` carries the
    HMAC-SHA256 of the exact body bytes. Retries ``retries`` times with exponential backoff.
    """

    def __init__(
        self, name: str, url: str, *, secret: str | None = None, timeout: float = 5.0,
        retries: int = 3, backoff: float = 0.5,
    ) -> None:
        self.name, self.url, self.secret = name, url, secret
        self.timeout, self.retries, self.backoff = timeout, retries, backoff

    def payload(self, body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """The request body and headers (signed when a secret is set)."""
        data = json.dumps({"text": render_text(body), "hyperflow": body}, default=str).encode()
        headers = {"Content-Type": "application/json"}
        if self.secret:
            digest = hmac.new(self.secret.encode(), data, hashlib.sha256).hexdigest()
            headers[SIGNATURE_HEADER] = f"sha256={digest}"
        return data, headers

    def send(self, body: dict[str, Any]) -> None:
        import httpx

        data, headers = self.payload(body)

        def post() -> None:
            r = httpx.post(self.url, content=data, headers=headers, timeout=self.timeout)
            r.raise_for_status()

        _retry(post, self.retries, self.backoff, f"webhook {self.name!r} ({self.url})")


class EmailChannel(Channel):
    """Send the alert as a plain-text e-mail over SMTP (STARTTLS, SSL and login optional)."""

    def __init__(
        self, name: str, host: str, to: list[str], *, port: int = 25,
        sender: str = "hyperflow@localhost",
        starttls: bool = False, ssl: bool = False, username: str | None = None,
        password: str | None = None, timeout: float = 10.0, retries: int = 2, backoff: float = 0.5,
    ) -> None:
        self.name, self.host, self.port, self.to, self.sender = name, host, port, to, sender
        self.starttls, self.ssl, self.username, self.password = starttls, ssl, username, password
        self.timeout, self.retries, self.backoff = timeout, retries, backoff

    def message(self, body: dict[str, Any]) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = (
            f"[hyperflow {body.get('severity')}] {body.get('rule')} {body.get('status')}: "
            f"{body.get('target')}"
        )
        msg["From"], msg["To"] = self.sender, ", ".join(self.to)
        msg.set_content(render_text(body))
        return msg

    def send(self, body: dict[str, Any]) -> None:
        msg = self.message(body)

        def deliver() -> None:
            cls = smtplib.SMTP_SSL if self.ssl else smtplib.SMTP
            with cls(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(msg)

        _retry(deliver, self.retries, self.backoff, f"e-mail {self.name!r} ({self.host})")


def make_channel(name: str, spec: dict[str, Any]) -> Channel:
    """Build a channel from its config table (``type`` = log | webhook | email)."""
    kind = spec.get("type", "log")
    skip = ("type", "secret_env", "password_env", "format")
    opts = {k: v for k, v in spec.items() if k not in skip}
    if kind == "log":
        return LogChannel(name)
    if kind == "webhook":
        secret = spec.get("secret") or os.environ.get(spec.get("secret_env", ""), None)
        opts["secret"] = secret
        return WebhookChannel(name, **opts)
    if kind == "email":
        opts["password"] = os.environ.get(spec["password_env"]) if "password_env" in spec else None
        return EmailChannel(name, **opts)
    raise MonitorError(f"unknown channel type {kind!r} for {name!r}; use log, webhook or email")
