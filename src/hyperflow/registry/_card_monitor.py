"""The model card's "Drift and alerts" section, read from the monitoring store.

``hyperflow.monitor`` stores every check (its figures, the top columns and whether each
drifted) and every alert in the store (``hyperflow.store.MonitorStore``); the card reads
them back for one version: how many checks ran, what the last one found, and the alerts
fired (and resolved) since the version first got an alias, i.e. since it was deployed.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from hyperflow._errors import RegistryError, StoreError

if TYPE_CHECKING:
    from hyperflow.registry._card import Section
    from hyperflow.store import AlertRecord, CheckRecord, ModelVersion, RegistryStore

__all__ = ["deployed_since", "monitoring_section"]

_ALERTS_READ = 10_000


def _when(t: float | None) -> str:
    if not t:
        return ""
    return _dt.datetime.fromtimestamp(t, _dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def deployed_since(
    catalog: RegistryStore, mv: ModelVersion, aliases: set[str]
) -> tuple[str, float] | None:
    """The first alias that pointed at ``mv`` (``latest`` aside), and when: its deployment."""
    first: tuple[str, float] | None = None
    for alias in sorted(aliases - {"latest"}):
        try:
            moves = catalog.history(mv.name, alias)
        except RegistryError:
            continue
        for m in moves:
            if m.to_version == mv.version and (first is None or m.at < first[1]):
                first = (alias, m.at)
    return first


def _number(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, int | float) else ("" if v is None else str(v))


def _last_check(checks: list[CheckRecord], section: Section) -> None:
    last = checks[-1]
    f = last.figures
    head = (
        f"{len(checks)} check(s) of this version; the last ({last.target}, window "
        f"{_when(last.window_start)} to {_when(last.window_end)})"
    )
    if last.error:
        section.paragraphs.append(f"{head} failed: {last.error}")
        return
    drifted = [t for t in f.get("drift.top", []) if t.get("drifted")]
    if "drift.count" in f:
        verdict = "drift alarm" if f.get("drift.alarm") else "no drift alarm"
        head += (
            f": {verdict}; {int(f['drift.count'])} of {int(f.get('drift.columns', 0))} "
            f"column(s) drifted (share {_number(f.get('drift.share'))})"
        )
    else:
        head += ": no drift figures (no reference profile)"
    broken = sorted(r for r, ok in last.rules.items() if ok)
    if broken:
        head += f"; rule(s) met: {', '.join(broken)}"
    section.paragraphs.append(head + ".")
    if drifted:
        rows = [
            [str(t.get("column")), str(t.get("test")), _number(t.get("score")),
             _number(t.get("severity"))]
            for t in drifted
        ]
        section.tables.append((["drifted column", "test", "score", "severity"], rows))


def _alerts_table(alerts: list[AlertRecord]) -> tuple[list[str], list[list[str]]]:
    rows = [
        [
            a.rule, a.severity, _when(a.fired_at),
            _when(a.resolved_at) if a.resolved_at else "open", str(a.check_id or ""),
        ]
        for a in sorted(alerts, key=lambda a: a.fired_at)
    ]
    return ["alert rule", "severity", "fired", "resolved", "check"], rows


def _read(store: Any, mv: ModelVersion) -> tuple[list[CheckRecord], list[AlertRecord]]:
    from hyperflow.store import get_monitor_store

    mon = get_monitor_store(store)
    checks = [c for c in mon.checks(mv.name) if c.version == mv.version]
    alerts = [a for a in mon.alerts(mv.name, limit=_ALERTS_READ) if a.version == mv.version]
    return checks, alerts


def monitoring_section(
    store: Any, catalog: RegistryStore, mv: ModelVersion, aliases: set[str]
) -> Section:
    """Checks and alerts of ``mv`` since it was deployed (its first alias), as a section."""
    from hyperflow.registry._card import Section

    section = Section("Drift and alerts")
    try:
        checks, alerts = _read(store, mv)
    except StoreError as exc:
        section.paragraphs.append(f"Monitoring history is not available: {exc}")
        return section
    since = deployed_since(catalog, mv, aliases)
    if since is None:
        section.paragraphs.append("No alias has pointed at this version: not deployed.")
    else:
        section.paragraphs.append(f"Deployed as @{since[0]} on {_when(since[1])}.")
        checks = [c for c in checks if c.created_at >= since[1]]
        alerts = [a for a in alerts if a.fired_at >= since[1]]
    if checks:
        _last_check(checks, section)
    else:
        section.paragraphs.append(
            f"No monitoring check of this version recorded (hyperflow monitor check "
            f"{mv.name}@ALIAS, or hf.monitor.check)."
        )
    if alerts:
        open_now = sum(a.resolved_at is None for a in alerts)
        section.paragraphs.append(
            f"{len(alerts)} alert(s) fired, {len(alerts) - open_now} resolved, "
            f"{open_now} open."
        )
        section.tables.append(_alerts_table(alerts))
    else:
        section.paragraphs.append("No alert fired.")
    return section
