"""The alert manager: ``for``, severity, cooldown/repeat, one open alert per rule and model,
"resolved" notifications, and every alert's cause chain.

Rule results are stored with each check, so ``for = 3`` reads the last three stored
checks: a restarted monitor continues where it stopped, and the store's one-open-alert
rule means a resumed monitor never fires the same alert twice.
"""

from __future__ import annotations

import time
from typing import Any

from hyperflow.monitor._channels import Channel, make_channel
from hyperflow.monitor._config import AlertConfig, MonitorConfig
from hyperflow.monitor._report import DriftReport
from hyperflow.store import AlertEvent, AlertRecord, CheckRecord, MonitorStore, get_store

__all__ = ["AlertManager", "cause_chain"]


def cause_chain(
    record: CheckRecord, report: DriftReport | None, store: Any = None
) -> dict[str, Any]:
    """Model version → run → config → data fingerprint, and the top drifted columns."""
    cause: dict[str, Any] = {"model": record.name, "version": record.version}
    if record.version is not None:
        try:
            mv = get_store(store).registry_store().get_version(record.name, record.version)
        except Exception as exc:  # an alert must not fail for its context
            cause["lineage_error"] = str(exc)
        else:
            cause.update({
                "run_id": mv.run_id, "config": mv.lineage.get("config"),
                "data": mv.lineage.get("data"), "artifacts": mv.lineage.get("artifacts"),
            })
    cause["drifted_columns"] = [
        t for t in record.figures.get("drift.top", []) if t.get("drifted")
    ]
    cause["report"] = record.report
    if report is not None:
        cause["drift_summary"] = report.summary()
    return cause


class AlertManager:
    """Applies the configured rules to a stored check and notifies the channels."""

    def __init__(self, cfg: MonitorConfig, mon: MonitorStore, store: Any = None) -> None:
        self.cfg, self.mon, self.store = cfg, mon, store
        self.channels: dict[str, Channel] = {
            n: make_channel(n, spec) for n, spec in cfg.channels.items()
        }

    def _held(self, rule: AlertConfig, record: CheckRecord) -> bool:
        recent = self.mon.checks(record.target, limit=rule.for_)
        return len(recent) >= rule.for_ and all(c.rules.get(rule.name) for c in recent)

    def process(self, record: CheckRecord, report: DriftReport | None) -> list[dict[str, Any]]:
        """Fire, repeat or resolve each rule's alert; returns the notifications sent."""
        now = time.time()
        sent: list[dict[str, Any]] = []
        open_by_rule = {a.rule: a for a in self.mon.open_alerts(record.name)}
        for rule in self.cfg.alerts:
            current = open_by_rule.get(rule.name)
            if record.rules.get(rule.name) and self._held(rule, record):
                if current is None:
                    body = self._body(rule, record, report, "firing")
                    new = self.mon.open_alert(
                        rule.name, record.name, record.version, rule.severity, now,
                        record.check_id, body,
                    )
                    if new is not None:
                        sent.append(self._notify(rule, new, body))
                elif now - current.last_sent_at >= rule.cooldown:
                    self.mon.touch_alert(current.alert_id, now)
                    body = self._body(rule, record, report, "firing")
                    sent.append(self._notify(rule, current, body))
            elif current is not None and not record.rules.get(rule.name):
                self.mon.resolve_alert(current.alert_id, now)
                body = self._body(rule, record, report, "resolved")
                sent.append(self._notify(rule, current, body))
        return sent

    def _body(
        self, rule: AlertConfig, record: CheckRecord, report: DriftReport | None, status: str
    ) -> dict[str, Any]:
        figures = {k: v for k, v in record.figures.items() if not isinstance(v, list)}
        return {
            "status": status, "rule": rule.name, "when": rule.when, "severity": rule.severity,
            "description": rule.description, "target": record.target,
            "window": [record.window_start, record.window_end], "check_id": record.check_id,
            "figures": figures, "cause": cause_chain(record, report, self.store),
        }

    def _notify(
        self, rule: AlertConfig, alert: AlertRecord, body: dict[str, Any]
    ) -> dict[str, Any]:
        for name in rule.channels:
            channel = self.channels[name]
            try:
                channel.send(body)
            except Exception as exc:  # a failing channel never stops monitoring
                self.mon.add_event(
                    AlertEvent(alert.alert_id, "failed", time.time(), name, str(exc)[:2000])
                )
            else:
                self.mon.add_event(AlertEvent(alert.alert_id, "delivered", time.time(), name))
        return {"alert_id": alert.alert_id, **body}
