"""Alert rules over stored checks: for, cooldown, one open alert, resolved, cause chain."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path

import pytest

import hyperflow as hf
from hyperflow.monitor import AlertConfig
from hyperflow.monitor._config import from_tables
from hyperflow.store import get_monitor_store
from tests.monitor.live_helpers import T0, config, log_traffic, registered
from tests.monitor.receivers import webhook_receiver

DRIFT = AlertConfig("x-drift", "drift.share >= 0.5", for_=2, severity="critical",
                    cooldown=0.0, channels=["hook"])


def _day(url: str, version: str, day: int, shift: float) -> None:
    log_traffic(url, version, start=T0 + timedelta(days=day), n=200, shift=shift, seed=day)


def _check(url: str, day: int, cfg: object) -> hf.monitor.Check:
    return hf.monitor.check("m@production", window="1d", until=T0 + timedelta(days=day + 1),
                            store=url, config=cfg)  # type: ignore[arg-type]


def test_for_dedup_resolve_and_signed_webhook(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    version = registered(url)
    for day, shift in enumerate([0.0, 2.0, 2.0, 2.0, 0.0]):
        _day(url, version, day, shift)
    with webhook_receiver() as (hook, got):
        cfg = config(DRIFT, channels={"hook": {"type": "webhook", "url": hook,
                                               "secret": "s3cret", "retries": 0}})
        sent = [len(_check(url, day, cfg).alerts) for day in range(5)]
    # day 1 drifts once (for=2 holds it back), day 2 fires, day 3 repeats (cooldown 0),
    # day 4 clears: resolved
    assert sent == [0, 0, 1, 1, 1]
    bodies = [json.loads(b) for _, b in got.bodies]
    assert [b["hyperflow"]["status"] for b in bodies] == ["firing", "firing", "resolved"]
    headers, raw = got.bodies[0]
    want = "sha256=" + hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
    assert headers["X-Hyperflow-Signature"] == want
    cause = bodies[0]["hyperflow"]["cause"]
    assert cause["version"] == version and len(cause["run_id"]) == 32
    assert cause["config"] == {"model.scale": 1.0} and "data" in cause
    assert cause["drifted_columns"][0]["column"] == "x"  # the strongest first
    assert "drifted x" in bodies[0]["text"]
    mon = get_monitor_store(url)
    (alert,) = mon.alerts("m")
    assert alert.resolved_at is not None
    kinds = [e.kind for e in mon.events(alert.alert_id)]
    assert kinds == ["fired", "delivered", "repeated", "delivered", "resolved", "delivered"]


def test_cooldown_holds_repeats_and_a_resumed_monitor_does_not_fire_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    version = registered(url)
    for day in range(3):
        _day(url, version, day, 2.0)
    rule = AlertConfig("x-drift", "drift.share >= 0.5", cooldown=3600.0, channels=["log"])
    first = _check(url, 0, config(rule))
    # a new monitor process (a fresh manager) on the next windows: the alert stays open
    again = [_check(url, day, config(rule)) for day in (1, 2)]
    assert len(first.alerts) == 1 and [len(c.alerts) for c in again] == [0, 0]
    assert len(get_monitor_store(url).open_alerts("m")) == 1


def test_a_failing_channel_is_reported_and_monitoring_goes_on(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    version = registered(url)
    _day(url, version, 0, 2.0)
    with webhook_receiver(status=500) as (hook, _got):
        spec = {"type": "webhook", "url": hook, "retries": 1, "backoff": 0.01, "timeout": 2.0}
        rule = AlertConfig("x-drift", "drift.share >= 0.5", channels=["hook", "log"])
        result = _check(url, 0, config(rule, channels={"hook": spec}))
    assert result.record.check_id is not None and len(result.alerts) == 1
    events = get_monitor_store(url).events()
    failed = [e for e in events if e.kind == "failed"]
    assert [e.channel for e in failed] == ["hook"] and "2 attempt(s)" in (failed[0].detail or "")
    assert [e.channel for e in events if e.kind == "delivered"] == ["log"]


def test_webhook_retries_with_backoff_until_delivered() -> None:
    with webhook_receiver(fail_first=2) as (hook, got):
        ch = hf.monitor.WebhookChannel("h", hook, retries=2, backoff=0.01)
        ch.send({"status": "firing", "rule": "r", "figures": {}})
    assert len(got.bodies) == 1


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("drift.shares >= 0.3", "did you mean 'drift.share'"),
        ("metrics.acuracy < 0.4", "did you mean 'metrics.accuracy'"),
        ("latency.p99 > 50", "did you mean 'latency.p99_ms'"),
        ("__import__('os')", "unsupported element"),
    ],
)
def test_unknown_figures_and_unsafe_rules_fail_at_load(when: str, message: str) -> None:
    with pytest.raises(hf.ConfigError, match=message) as err:
        from_tables({}, [{"name": "r", "when": when}], "/p/pyproject.toml")
    assert "/p/pyproject.toml" in str(err.value)


def test_unknown_config_keys_name_the_file_and_the_closest_key() -> None:
    with pytest.raises(hf.ConfigError, match=r"'windo'.*pyproject.toml; did you mean 'window'"):
        from_tables({"windo": "1d"}, [], "pyproject.toml")
    with pytest.raises(hf.ConfigError, match="did you mean 'cooldown'"):
        from_tables({}, [{"name": "r", "when": "requests < 1", "cooldwn": "1h"}], "f.toml")
    with pytest.raises(hf.ConfigError, match="unknown channel 'slak'"):
        from_tables({"channels": {"slack": {"type": "webhook", "url": "http://x"}}},
                    [{"name": "r", "when": "requests < 1", "channels": ["slak"]}], "f.toml")


def test_rules_read_the_documented_figures() -> None:
    cfg = from_tables({}, [
        {"name": "a", "when": "drift.share >= 0.3"},
        {"name": "b", "when": "metrics.accuracy < 0.45 and feedback.count >= 100"},
        {"name": "c", "when": "latency.p99_ms > 50"},
        {"name": "d", "when": "error_rate > 0.01"},
        {"name": "e", "when": "requests < 10", "for": 3, "cooldown": "6h"},
    ], "f.toml")
    assert [a.name for a in cfg.alerts] == list("abcde") and cfg.alerts[-1].cooldown == 21600
