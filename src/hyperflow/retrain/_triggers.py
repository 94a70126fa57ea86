"""When to retrain: the triggers of ``[tool.hyperflow.retrain]``.

* ``schedule``: a cron expression (``"0 3 * * 1"``: Mondays at 03:00 UTC); due when a
  firing time passed since the last scheduled trigger (or since the champion was
  registered);
* ``on_new_data``: the train inputs' fingerprints (``[tool.hyperflow.retrain] inputs``
  over the champion's recorded inputs) differ from those the champion was trained on;
  fires once per new set of fingerprints;
* ``on_alert``: an open alert of the monitor whose rule is listed; fires once per alert,
  recording the alert as an event so the chain reads alert -> trigger -> retrain.

Each trigger that fires is an event (kind ``"trigger"``) whose id the retrain carries
as its cause.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hyperflow._errors import ConfigError
from hyperflow.retrain._events import Event, events, record_event

__all__ = ["Trigger", "TriggerConfig", "due_triggers", "trigger_config"]

_SCAN = 1000  # how many of a model's latest events are read to find earlier firings


@dataclass(frozen=True)
class TriggerConfig:
    """The trigger keys of ``[tool.hyperflow.retrain]`` (plus ``mode``/``trials`` of the
    retrain they start)."""

    schedule: str | None = None
    on_new_data: bool = False
    on_alert: tuple[str, ...] = ()
    mode: str = "refit"
    trials: int | None = None

    @property
    def any(self) -> bool:
        return bool(self.schedule or self.on_new_data or self.on_alert)


@dataclass(frozen=True)
class Trigger:
    """One reason to retrain now: ``kind`` (schedule, new_data, alert), what it saw, and
    the id of the ``trigger`` event recorded for it."""

    kind: str
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)
    event_id: int | None = None


def _croniter() -> Any:
    try:
        from croniter import croniter
    except ImportError:  # pragma: no cover - the extra is part of dev
        raise ConfigError(
            "schedule in [tool.hyperflow.retrain] needs croniter: "
            "pip install 'hyperflow[retrain]'"
        ) from None
    return croniter


def _cron(text: Any) -> str:
    croniter = _croniter()
    if not isinstance(text, str) or not croniter.is_valid(text):
        raise ConfigError(
            f"schedule in [tool.hyperflow.retrain] must be a cron expression like "
            f"'0 3 * * 1' (minute hour day month weekday), but got {text!r}"
        )
    return text


def _alert_names(names: Any, known: list[str]) -> tuple[str, ...]:
    where = "on_alert in [tool.hyperflow.retrain]"
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"{where} must be a list of alert rule names, but got {names!r}")
    for n in names:
        if n not in known:
            close = difflib.get_close_matches(n, known, 1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"unknown alert {n!r} in {where}{hint} (the monitor's alert rules: "
                f"{', '.join(known) or 'none; add [[tool.hyperflow.alerts]]'})"
            )
    return tuple(names)


def trigger_config(
    table: Mapping[str, Any] | None = None, *, alerts: list[str] | None = None
) -> TriggerConfig:
    """The triggers of ``table`` (default: the project's ``[tool.hyperflow.retrain]``),
    alert names checked against ``alerts`` (default: the project's alert rules)."""
    if table is None:
        from hyperflow.retrain._config import project_tables

        table = project_tables()[0].get("retrain", {})
    raw = dict(table or {})
    if alerts is None and raw.get("on_alert"):
        from hyperflow.monitor import monitor_config

        alerts = [a.name for a in monitor_config().alerts]
    mode = raw.get("mode", "refit")
    if mode not in ("refit", "search"):
        raise ConfigError(f"mode in [tool.hyperflow.retrain] must be 'refit' or 'search', "
                          f"but got {mode!r}")
    new_data = raw.get("on_new_data", False)
    if not isinstance(new_data, bool):
        raise ConfigError(f"on_new_data in [tool.hyperflow.retrain] must be true or false, "
                          f"but got {new_data!r}")
    return TriggerConfig(
        schedule=_cron(raw["schedule"]) if "schedule" in raw else None,
        on_new_data=new_data,
        on_alert=_alert_names(raw.get("on_alert", []), alerts or []),
        mode=mode, trials=raw.get("trials"),
    )


def _fired(history: list[Event], kind: str) -> list[Event]:
    return [e for e in history if e.kind == "trigger" and e.detail.get("trigger") == kind]


def _scheduled(
    name: str, cfg: TriggerConfig, history: list[Event], now: float, since: float
) -> Trigger | None:
    croniter = _croniter()
    assert cfg.schedule is not None
    earlier = _fired(history, "schedule")
    base = earlier[-1].detail.get("slot", earlier[-1].at) if earlier else since
    slot = float(croniter(cfg.schedule, datetime.fromtimestamp(now, UTC)).get_prev(float))
    if slot <= base:  # the latest firing time passed before the last one handled
        return None
    when = datetime.fromtimestamp(slot, UTC).isoformat()
    return Trigger("schedule", f"schedule {cfg.schedule!r} was due at {when}",
                   {"slot": slot, "schedule": cfg.schedule})


def _current_inputs(name: str, mv: Any) -> dict[str, Any]:
    from hyperflow.retrain._config import project_tables
    from hyperflow.retrain._retrain_run import INPUTS_TAG

    project = project_tables()[0]
    recorded = mv.tags.get(INPUTS_TAG)
    base = json.loads(recorded) if recorded else dict(project.get("inputs") or {})
    return {**base, **dict((project.get("retrain") or {}).get("inputs") or {})}


def _new_data(name: str, mv: Any, history: list[Event]) -> Trigger | None:
    from hyperflow.engine._run import input_fingerprints

    trained = dict(mv.lineage.get("data") or {})
    now = input_fingerprints(_current_inputs(name, mv))
    changed = sorted(k for k, fp in now.items() if trained.get(k) != fp)
    if not changed:
        return None
    earlier = _fired(history, "new_data")
    if earlier and earlier[-1].detail.get("fingerprints") == now:
        return None  # this data already triggered a retrain
    return Trigger("new_data", f"train input(s) {', '.join(changed)} changed since "
                   f"{mv.name}:{mv.version} was trained", {"changed": changed,
                                                            "fingerprints": now})


def _alerts(
    name: str, cfg: TriggerConfig, history: list[Event], store: Any
) -> list[Trigger]:
    from hyperflow.store import get_monitor_store

    seen = {e.detail.get("alert_id") for e in _fired(history, "alert")}
    out = []
    for alert in get_monitor_store(store).open_alerts(name):
        if alert.rule not in cfg.on_alert or alert.alert_id in seen:
            continue
        figures = alert.body.get("figures", {}) if isinstance(alert.body, dict) else {}
        cause = record_event(name, "alert", {
            "rule": alert.rule, "alert_id": alert.alert_id, "severity": alert.severity,
            "version": alert.version, "fired_at": alert.fired_at, "figures": figures,
        }, store=store)
        out.append(Trigger("alert", f"alert {alert.rule!r} is firing",
                           {"alert_id": alert.alert_id, "rule": alert.rule}, cause))
    return out


def due_triggers(
    name: str, cfg: TriggerConfig, *, champion: str = "production", now: float | None = None,
    store: Any = None,
) -> list[Trigger]:
    """The triggers of ``name`` that fire now, each recorded as a ``trigger`` event."""
    import time

    from hyperflow import registry

    now = time.time() if now is None else now
    history = events(name, limit=_SCAN, store=store)
    mv = registry.get(f"{name}@{champion}", store=store)
    found: list[Trigger] = []
    if cfg.on_alert:
        found += _alerts(name, cfg, history, store)
    if cfg.schedule:
        found += [t for t in [_scheduled(name, cfg, history, now, mv.created_at)] if t]
    if cfg.on_new_data:
        found += [t for t in [_new_data(name, mv, history)] if t]
    out = []
    for t in found:
        eid = record_event(name, "trigger", {"trigger": t.kind, "reason": t.reason, **t.detail},
                           cause=t.event_id, store=store)
        out.append(Trigger(t.kind, t.reason, t.detail, eid))
    return out
