"""``hyperflow monitor NAME@ALIAS --every 1h``: checks on a schedule, resumable, with gauges.

Windows are aligned to multiples of ``every`` (UTC); each loop checks every window that
ended since the last stored check, so a monitor restarted after a crash resumes from its
last completed window (a window is stored once, in one transaction: no half-written
check, and no duplicate alert). An error (the database away for a while) is logged once
per window and the loop carries on; the window is retried on the next round.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hyperflow.monitor._config import MonitorConfig, parse_duration
from hyperflow.monitor._live import Check, check
from hyperflow.store import get_monitor_store

__all__ = ["Gauges", "Watcher"]

_log = logging.getLogger("hyperflow.monitor")


class Gauges:
    """The monitor's Prometheus gauges in their own registry (labels: model, version)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Gauge

        self.registry = CollectorRegistry()
        lv = ["model", "version"]
        self.share = Gauge("hyperflow_monitor_drift_share", "Share of input columns that drifted",
                           lv, registry=self.registry)
        self.column = Gauge("hyperflow_monitor_column_drift_score",
                            "Drift score of the most drifted columns", [*lv, "column"],
                            registry=self.registry)
        self.metric = Gauge("hyperflow_monitor_metric", "Live metric from feedback",
                            [*lv, "metric"], registry=self.registry)
        self.coverage = Gauge("hyperflow_monitor_feedback_coverage",
                              "Share of predictions with feedback", lv, registry=self.registry)
        self.requests = Gauge("hyperflow_monitor_requests", "Requests in the last window", lv,
                              registry=self.registry)
        self.firing = Gauge("hyperflow_monitor_alerts_firing", "Open alerts", ["model"],
                            registry=self.registry)

    def update(self, result: Check, firing: int) -> None:
        f, rec = result.figures, result.record
        labels = {"model": rec.name, "version": str(rec.version)}
        self.share.labels(**labels).set(float(f.get("drift.share", math.nan)))
        self.coverage.labels(**labels).set(float(f.get("feedback.coverage", 0.0)))
        self.requests.labels(**labels).set(float(f.get("requests", 0.0)))
        for top in f.get("drift.top", []):
            score = top.get("score")
            if score is not None:
                self.column.labels(**labels, column=str(top["column"])).set(float(score))
        for key, value in f.items():
            if key.startswith("metrics.") and isinstance(value, int | float):
                self.metric.labels(**labels, metric=key[8:]).set(float(value))
        self.firing.labels(model=rec.name).set(firing)

    def serve(self, port: int, host: str = "127.0.0.1") -> Any:
        """Serve ``/metrics`` on ``host:port`` in a background thread; returns the server."""
        from prometheus_client import start_http_server

        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return server


@dataclass
class Watcher:
    """Runs the checks of one target on a schedule until ``stop`` is set."""

    target: str
    every: str
    window: str | None = None
    store: Any = None
    config: MonitorConfig | None = None
    gauges: Gauges | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[str] = field(default_factory=list)

    def due(self, now: float) -> list[float]:
        """Ends of the aligned windows that closed since the last stored check."""
        step = parse_duration(self.every, "every")
        last_end = math.floor(now / step) * step
        done = get_monitor_store(self.store).checks(self.target, limit=1)
        start = done[-1].window_end + step if done else last_end
        ends, t = [], start
        while t <= last_end:
            ends.append(t)
            t += step
        return ends

    def run_once(self, now: float | None = None) -> list[Check]:
        """Check every due window; an error is logged once per window, not raised."""
        now = now if now is not None else datetime.now(UTC).timestamp()
        results: list[Check] = []
        window = self.window or self.every
        try:
            ends = self.due(now)
        except Exception as exc:  # the store away: report, retry next round
            self._error(f"cannot read the monitor's state: {exc}")
            return results
        for end in ends:
            try:
                results.append(check(
                    self.target, window=window, until=datetime.fromtimestamp(end, UTC),
                    store=self.store, config=self.config,
                ))
            except Exception as exc:  # one error per window, then carry on
                self._error(f"check of window ending {datetime.fromtimestamp(end, UTC)}: {exc}")
                break
        if results and self.gauges is not None:
            firing = len(get_monitor_store(self.store).open_alerts(results[-1].record.name))
            self.gauges.update(results[-1], firing)
        return results

    def _error(self, message: str) -> None:
        self.errors.append(message)
        _log.error("monitor %s: %s", self.target, message)

    def forever(self, poll: float | None = None) -> None:
        """Loop until ``stop`` is set, waking at each window boundary (or every ``poll`` s)."""
        step = parse_duration(self.every, "every")
        while not self.stop.is_set():
            self.run_once()
            now = datetime.now(UTC).timestamp()
            wait = poll if poll is not None else step - (now % step) + 0.5
            self.stop.wait(wait)
