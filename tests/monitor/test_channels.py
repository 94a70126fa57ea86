"""The channel conformance suite, run on every channel against real loopback receivers."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import hyperflow as hf
from hyperflow.monitor import Channel, EmailChannel, LogChannel, WebhookChannel
from tests.monitor.receivers import smtp_server, webhook_receiver

BODY: dict[str, Any] = {
    "status": "firing", "rule": "acc-drop", "when": "metrics.accuracy < 0.45",
    "severity": "critical", "target": "weather@production",
    "figures": {"metrics.accuracy": 0.41, "feedback.count": 120.0},
    "cause": {"version": "1.2.0", "run_id": "r" * 32, "config": {"model": "forest"},
              "data": {"raw": "abc"}, "report": "/reports/w.html",
              "drifted_columns": [{"column": "wind", "test": "ks", "score": 0.001}]},
}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ChannelSuite:
    """Every channel delivers firing and resolved alerts carrying the cause chain, and
    reports an unreachable endpoint as ``MonitorError`` (never anything else)."""

    @pytest.fixture
    def channel(self) -> Iterator[tuple[Channel, Callable[[], list[str]]]]:
        raise NotImplementedError

    @pytest.fixture
    def broken(self) -> Channel:
        raise NotImplementedError

    def test_delivers_firing_and_resolved_with_cause(
        self, channel: tuple[Channel, Callable[[], list[str]]]
    ) -> None:
        ch, received = channel
        ch.send(BODY)
        ch.send({**BODY, "status": "resolved"})
        texts = received()
        assert len(texts) == 2 and "firing" in texts[0] and "resolved" in texts[1]
        for part in ("1.2.0", "r" * 32, "forest", "wind", "/reports/w.html", "0.41"):
            assert part in texts[0]

    def test_unreachable_endpoint_is_a_monitor_error(self, broken: Channel) -> None:
        with pytest.raises(hf.MonitorError, match="attempt"):
            broken.send(BODY)


class TestLogChannel(ChannelSuite):
    def test_unreachable_endpoint_is_a_monitor_error(  # type: ignore[override]
        self, broken: Channel, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The log has no endpoint: a firing alert is a warning, a resolved one info."""
        caplog.set_level(logging.INFO, "hyperflow.monitor.alerts")
        broken.send(BODY)
        broken.send({**BODY, "status": "resolved"})
        assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.INFO]

    @pytest.fixture
    def channel(
        self, caplog: pytest.LogCaptureFixture
    ) -> Iterator[tuple[Channel, Callable[[], list[str]]]]:
        caplog.set_level(logging.INFO, "hyperflow.monitor.alerts")
        yield LogChannel(), lambda: [r.getMessage() for r in caplog.records]

    @pytest.fixture
    def broken(self) -> Channel:
        return LogChannel()


class TestWebhookChannel(ChannelSuite):
    @pytest.fixture
    def channel(self) -> Iterator[tuple[Channel, Callable[[], list[str]]]]:
        with webhook_receiver() as (url, got):
            yield WebhookChannel("w", url), lambda: [b.decode() for _, b in got.bodies]

    @pytest.fixture
    def broken(self) -> Channel:
        url = f"http://127.0.0.1:{_closed_port()}/"
        return WebhookChannel("w", url, retries=1, backoff=0.01, timeout=2.0)


class TestEmailChannel(ChannelSuite):
    @pytest.fixture
    def channel(self) -> Iterator[tuple[Channel, Callable[[], list[str]]]]:
        with smtp_server() as (port, messages):
            ch = EmailChannel("e", "127.0.0.1", ["ops@example.org"], port=port)
            yield ch, lambda: [m.content.decode() for m in messages]

    @pytest.fixture
    def broken(self) -> Channel:
        return EmailChannel("e", "127.0.0.1", ["ops@example.org"], port=_closed_port(),
                            retries=1, backoff=0.01, timeout=2.0)


def test_email_subject_names_severity_rule_and_target() -> None:
    msg = EmailChannel("e", "h", ["a@b.c"]).message(BODY)
    assert msg["Subject"] == "[hyperflow critical] acc-drop firing: weather@production"
