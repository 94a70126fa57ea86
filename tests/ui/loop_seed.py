"""Monitoring and closed-loop records of model ``demo`` for the dashboard tests: checks,
alerts and their events through the monitoring store; traffic, a rollout, gate decisions
and events through the loop's stores (traffic, events, leases), as their writers store them."""

from __future__ import annotations

import time
from typing import Any

from hyperflow.store import (
    AlertEvent,
    CheckRecord,
    TrafficPolicy,
    get_event_store,
    get_lease_store,
    get_monitor_store,
    get_traffic_store,
)
from tests.ui.project import EVIL

HOUR = 3600.0


def figures(i: int, *, drifted: bool = False) -> dict[str, Any]:
    """The figures of one check, shaped as ``hf.monitor.check`` stores them."""
    shift = 0.5 if drifted else 0.0
    return {
        "requests": 100.0 + i, "error_rate": 0.01, "feedback.count": 40.0,
        "feedback.coverage": 0.4, "drift.columns": 2.0, "drift.count": 1.0 if drifted else 0.0,
        "drift.share": 0.5 if drifted else 0.0, "drift.threshold": 0.3,
        "metrics.accuracy": 0.9 - shift / 5, "metrics.accuracy_low": 0.8 - shift / 5,
        "metrics.accuracy_high": 0.95 - shift / 5,
        "drift.top": [
            {"column": "temp", "test": "ks", "score": 0.1, "p_value": 0.2,
             "severity": 0.1 + shift + i / 100, "drifted": drifted},
            {"column": EVIL, "test": "chi2", "score": 0.05, "p_value": 0.5,
             "severity": 0.05, "drifted": False},
        ],
    }


def add_check(store: Any, target: str, i: int, *, drifted: bool = False,
              start: float | None = None) -> int:
    """Store check ``i`` of ``target`` (hourly windows ending ``start + i`` hours)."""
    base = start if start is not None else time.time() - 48 * HOUR
    name = target.split("@")[0]
    record = CheckRecord(name, target, "0.1.0", base + (i - 1) * HOUR, base + i * HOUR,
                         figures(i, drifted=drifted), {"drift": drifted, "accuracy": False},
                         None, time.time())
    return get_monitor_store(store).add_check(record)


def seed_monitoring(store: Any, run_id: str, name: str = "demo") -> None:
    """Ten checks of ``name@production`` (the last three drifted) and two of
    ``name@candidate``; one open alert with its cause, one resolved."""
    mon = get_monitor_store(store)
    base = time.time() - 48 * HOUR
    ids = [add_check(store, f"{name}@production", i, drifted=i > 7, start=base)
           for i in range(1, 11)]
    for i in (1, 2):
        add_check(store, f"{name}@candidate", i, start=base)
    cause = {"model": name, "version": "0.1.0", "run_id": run_id, "data": "xxh3:abc123",
             "drifted_columns": [{"column": "temp", "test": "ks", "severity": 0.9,
                                  "drifted": True}], "report": None}
    old = mon.open_alert("accuracy", name, "0.1.0", "warning", base + HOUR, ids[0],
                         {"when": "metrics.accuracy < 0.5", "cause": cause})
    assert old is not None
    mon.resolve_alert(old.alert_id, base + 2 * HOUR)
    new = mon.open_alert("drift", name, "0.1.0", "critical", base + 10 * HOUR, ids[-1],
                         {"when": "drift.share > 0.3", "description": EVIL, "cause": cause})
    assert new is not None
    mon.add_event(AlertEvent(new.alert_id, "delivered", base + 10 * HOUR, "log"))
    mon.add_event(AlertEvent(new.alert_id, "failed", base + 10 * HOUR, "hook", EVIL))


def seed_loop(store: Any, runs: dict[str, str], name: str = "demo") -> None:
    """A traffic split, a running canary rollout, two gate decisions and their events."""
    chain = get_event_store(store)

    def event(kind: str, detail: dict[str, Any], cause: int | None = None) -> int:
        return chain.add_event(name, kind, detail, cause_id=cause, actor="agent").id

    alert = event("alert", {"rule": "drift", "note": EVIL})
    retrain = event("retrain", {"mode": "refit"}, alert)
    gate = event("gate", {"passed": True, "challenger": "0.2.0"}, retrain)
    event("rollout.step", {"percent": 10}, gate)
    rules = [{"rule": "metric", "passed": True, "skipped": False, "figures": {},
              "message": "f1 +0.02 over the champion"},
             {"rule": "slices", "passed": False, "skipped": True, "figures": {},
              "message": EVIL}]
    for challenger, passed in (("0.2.0", True), ("0.1.9", False)):
        chain.add_decision(name, challenger=challenger, champion="0.1.0", passed=passed,
                           rules=rules, runs={"challenger": runs["train2"]}, event_id=gate)
    get_traffic_store(store).put(TrafficPolicy(
        name, {"production": 90.0, "0.2.0": 10.0}, sticky="user", updated_at=time.time(),
        cause="rollout:1"))
    state = {"mode": "canary", "phase": "running", "step": 0, "steps": [10, 50, 100],
             "champion_alias": "production", "champion_version": "0.1.0",
             "challenger_alias": "candidate", "challenger_version": "0.2.0"}
    get_lease_store(store).start_action(name, "rollout", state, owner="agent-1")
