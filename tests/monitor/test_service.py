"""The scheduled monitor: aligned windows, resume without duplicates, errors per window,
and its own Prometheus ``/metrics``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

from hyperflow.monitor import AlertConfig
from hyperflow.monitor._service import Gauges, Watcher
from hyperflow.store import get_monitor_store
from tests.monitor.live_helpers import T0, config, log_traffic, registered
from tests.monitor.receivers import TcpProxy

DAY = 86400.0


def test_resume_checks_each_window_once_and_alerts_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    version = registered(url)
    for day in range(4):
        log_traffic(url, version, start=T0 + timedelta(days=day), n=100, shift=2.0, seed=day)
    rule = AlertConfig("drifting", "drift.share >= 0.5", cooldown=10 * DAY)
    cfg = config(rule)
    t0 = T0.timestamp()
    first = Watcher("m@production", "1d", store=url, config=cfg)
    assert len(first.run_once(now=t0 + DAY + 5)) == 1  # the window [T0, T0 + 1d)
    # "killed" and restarted two days later: it resumes at the next window
    again = Watcher("m@production", "1d", store=url, config=cfg)
    done = again.run_once(now=t0 + 3 * DAY + 5)
    assert [c.record.window_end - t0 for c in done] == [2 * DAY, 3 * DAY]
    assert again.run_once(now=t0 + 3 * DAY + 60) == []
    mon = get_monitor_store(url)
    ends = [c.window_end - t0 for c in mon.checks("m@production")]
    assert ends == [DAY, 2 * DAY, 3 * DAY]
    assert len(mon.alerts("m")) == 1 and [e.kind for e in mon.events()].count("fired") == 1


def test_the_database_away_is_one_error_per_round_then_recovery(postgres_url: str) -> None:
    real = sa.make_url(postgres_url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    proxy.start()
    url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        version = registered(url)
        log_traffic(url, version, start=T0, n=50)
        watcher = Watcher("m@production", "1d", store=url, config=config())
        proxy.stop()  # the database goes away
        assert watcher.run_once(now=T0.timestamp() + DAY + 1) == []
        assert watcher.run_once(now=T0.timestamp() + DAY + 2) == []
        assert len(watcher.errors) == 2  # one per round, no crash
        proxy.start()  # and comes back: the same window is checked now
        done = watcher.run_once(now=T0.timestamp() + DAY + 3)
        assert [c.figures["requests"] for c in done] == [50]
    finally:
        proxy.stop()


def test_gauges_on_the_monitors_own_metrics_endpoint(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    version = registered(url)
    log_traffic(url, version, start=T0, n=200, shift=2.0)
    gauges = Gauges()
    server = gauges.serve(0)
    try:
        cfg = config(AlertConfig("drifting", "drift.share >= 0.5"))
        Watcher("m@production", "1d", store=url, config=cfg, gauges=gauges).run_once(
            now=T0.timestamp() + DAY + 1
        )
        text = httpx.get(f"http://127.0.0.1:{server.server_port}/metrics").text
    finally:
        server.shutdown()
    labels = f'model="m",version="{version}"'
    assert f"hyperflow_monitor_drift_share{{{labels}}} 0.5" in text
    assert f'hyperflow_monitor_column_drift_score{{column="x",{labels}}}' in text
    assert f'hyperflow_monitor_metric{{metric="mae",{labels}}}' in text
    assert f"hyperflow_monitor_feedback_coverage{{{labels}}} 1.0" in text
    assert 'hyperflow_monitor_alerts_firing{model="m"} 1.0' in text
