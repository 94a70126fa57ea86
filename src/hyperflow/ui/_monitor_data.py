"""The monitoring pages' data: a model's stored checks and alerts (``hyperflow.monitor``),
and their pictures: drift per column over time, the live metric with its confidence
band, and feedback coverage.

Reads go through the monitoring store (``MonitorStore``) except the overview's one
grouped query; nothing here imports ``hyperflow.monitor`` (pandas), so the pages stay light.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from hyperflow._errors import HyperflowError
from hyperflow.store import AlertEvent, AlertRecord, CheckRecord, MetadataStore, get_monitor_store
from hyperflow.store._monitor_sql import alerts as alerts_table
from hyperflow.store._monitor_sql import checks as checks_table
from hyperflow.ui._charts import time_chart

__all__ = ["CHECKS_SHOWN", "MonitorView", "Monitored", "monitor_view", "monitored"]

CHECKS_SHOWN = 200  # the newest checks drawn
_ALERTS_SHOWN = 30
_METRICS = (("accuracy", "accuracy"), ("mae", "mean absolute error"))


@dataclass(frozen=True)
class Monitored:
    """One monitored model of the overview."""

    name: str
    checks: int
    last_check: float
    open_alerts: int


@dataclass
class MonitorView:
    """A model's monitoring: its targets, the checks of one target and its alerts."""

    name: str
    targets: list[str]
    target: str | None
    checks: list[CheckRecord]
    alerts: list[AlertRecord]
    events: dict[int, list[AlertEvent]] = field(default_factory=dict)

    @property
    def latest(self) -> CheckRecord | None:
        """The newest check of the target shown."""
        return self.checks[-1] if self.checks else None

    @property
    def open_alerts(self) -> list[AlertRecord]:
        """Alerts not resolved yet."""
        return [a for a in self.alerts if a.resolved_at is None]


def monitored(store: MetadataStore) -> list[Monitored]:
    """Every model with stored checks, newest check first, with its open alerts."""
    engine = getattr(store, "engine", None)
    if engine is None:
        return []
    c, a = checks_table, alerts_table
    per_model = sa.select(c.c.name, sa.func.count(), sa.func.max(c.c.window_end)).group_by(c.c.name)
    open_ = (sa.select(a.c.name, sa.func.count()).where(a.c.resolved_at.is_(None))
             .group_by(a.c.name))
    with engine.connect() as conn:
        found = conn.execute(per_model).all()
        alerting = {str(n): int(k) for n, k in conn.execute(open_)}
    rows = [Monitored(str(n), int(k), float(t), alerting.get(str(n), 0)) for n, k, t in found]
    return sorted(rows, key=lambda m: -m.last_check)


def _targets(store: MetadataStore, name: str) -> list[str]:
    c = checks_table
    stmt = (sa.select(c.c.target, sa.func.max(c.c.window_end).label("last"))
            .where(c.c.name == name).group_by(c.c.target).order_by(sa.desc("last")))
    engine = getattr(store, "engine", None)
    if engine is None:
        return []
    with engine.connect() as conn:
        return [str(r[0]) for r in conn.execute(stmt)]


def monitor_view(store: MetadataStore, name: str, target: str | None = None) -> MonitorView:
    """The model's monitoring; ``target`` (``name@alias``): whose checks (default: the
    target checked last). An unknown target is an error naming the known ones."""
    mon = get_monitor_store(store)
    targets = _targets(store, name)
    if target is not None and target not in targets:
        raise HyperflowError(
            f"model {name!r} has no checks of target {target!r}; checked targets: "
            f"{', '.join(targets) or 'none'}"
        )
    chosen = target or (targets[0] if targets else None)
    checks = mon.checks(chosen, limit=CHECKS_SHOWN) if chosen else []
    alerts = mon.alerts(name, limit=_ALERTS_SHOWN)
    events = {a.alert_id: mon.events(a.alert_id) for a in alerts}
    return MonitorView(name, targets, chosen, checks, alerts, events)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _series(checks: list[CheckRecord], key: str) -> list[tuple[float, float]]:
    return [(c.window_end, v) for c in checks if (v := _num(c.figures.get(key))) is not None]


def drift_chart(view: MonitorView) -> str:
    """Drift severity per column over time (the top columns of each check), with the
    calibrated alarm threshold dashed."""
    per_column: dict[str, list[tuple[float, float]]] = {}
    for c in view.checks:
        for top in c.figures.get("drift.top") or []:
            severity = _num(top.get("severity")) if isinstance(top, dict) else None
            if severity is not None:
                per_column.setdefault(str(top.get("column")), []).append((c.window_end, severity))
    if not per_column:
        return ""
    threshold = _series(view.checks, "drift.threshold")
    return time_chart(
        f"{view.name}: drift per column", sorted(per_column.items()), ylabel="drift severity",
        dashed=[("alarm threshold", threshold)] if threshold else [],
    )


def metric_chart(view: MonitorView) -> str:
    """The live metric (accuracy, or MAE for numbers) with its 95% confidence band."""
    for key, label in _METRICS:
        points = _series(view.checks, f"metrics.{key}")
        if points:
            band = [(c.window_end, lo, hi) for c in view.checks
                    if (lo := _num(c.figures.get(f"metrics.{key}_low"))) is not None
                    and (hi := _num(c.figures.get(f"metrics.{key}_high"))) is not None]
            return time_chart(f"{view.name}: live {label} (95% CI)", [(label, points)],
                              ylabel=label, band=band)
    return ""


def coverage_chart(view: MonitorView) -> str:
    """The share of predictions that got ground truth (feedback), per check."""
    points = _series(view.checks, "feedback.coverage")
    if not any(v for _, v in points):
        return ""
    return time_chart(f"{view.name}: feedback coverage", [("feedback coverage", points)],
                      ylabel="share with feedback")


def charts(view: MonitorView) -> dict[str, str]:
    """The pictures of the model's page by name (an empty one is left out)."""
    drawn = {"drift": drift_chart(view), "metric": metric_chart(view),
             "coverage": coverage_chart(view)}
    return {k: svg for k, svg in drawn.items() if svg}
