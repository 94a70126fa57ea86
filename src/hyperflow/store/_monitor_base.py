"""The monitoring store contract: reference profiles, checks, alerts and their events.

``MonitorStore`` is the pluggable contract (:class:`SQLMonitorStore` keeps it in the
metadata store). Monitoring (``hyperflow.monitor``) writes and reads it; the registry
stores a version's reference profile in it (fitted through ``hyperflow._reference_hook``).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ALERT_EVENTS",
    "AlertEvent",
    "AlertRecord",
    "CheckRecord",
    "MonitorStore",
    "ReferenceProfile",
    "get_monitor_store",
]

ALERT_EVENTS = ("fired", "repeated", "resolved", "delivered", "failed")


@dataclass(frozen=True)
class ReferenceProfile:
    """A model version's fitted drift reference, stored by value (``.npz`` bytes, no pickle).

    ``source`` says where it came from: ``"register"`` or ``"first N predictions"``.
    """

    name: str
    version: str
    data: bytes
    fields: list[str]
    n_rows: int
    source: str
    created_at: float


@dataclass(frozen=True)
class CheckRecord:
    """One completed check of one window (``figures``: flat name -> number)."""

    name: str
    target: str
    version: str | None
    window_start: float
    window_end: float
    figures: dict[str, Any]
    rules: dict[str, bool] = field(default_factory=dict)
    report: str | None = None
    created_at: float = 0.0
    check_id: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class AlertRecord:
    """One alert: open (``resolved_at`` is ``None``) or resolved; one open per rule and model."""

    alert_id: int
    rule: str
    name: str
    version: str | None
    severity: str
    fired_at: float
    last_sent_at: float
    resolved_at: float | None
    check_id: int | None
    body: dict[str, Any]


@dataclass(frozen=True)
class AlertEvent:
    """What happened to an alert: fired, repeated, resolved, delivered or failed (per channel)."""

    alert_id: int
    kind: str
    at: float
    channel: str | None = None
    detail: str | None = None


class MonitorStore(abc.ABC):
    """Contract of the monitoring store.

    * ``add_check`` writes a check and its rule results atomically; a second check of the
      same ``target`` and window is refused (``StoreError``), so a resumed monitor
      never stores one window twice.
    * ``open_alert`` creates an alert only when the rule has no open one for the model;
      otherwise it returns ``None``.
    """

    @abc.abstractmethod
    def save_reference(self, profile: ReferenceProfile) -> None:
        """Store (or replace) the reference profile of a version."""

    @abc.abstractmethod
    def get_reference(self, name: str, version: str) -> ReferenceProfile | None:
        """The stored profile of a version, or ``None``."""

    @abc.abstractmethod
    def get_calibration(self, name: str, version: str) -> dict[str, float]:
        """Calibrated thresholds stored with a version's profile (key -> threshold)."""

    @abc.abstractmethod
    def add_calibration(self, name: str, version: str, key: str, threshold: float) -> None:
        """Keep a calibrated threshold with the version's profile (no-op without one)."""

    @abc.abstractmethod
    def add_check(self, check: CheckRecord) -> int:
        """Store a completed check; returns its id."""

    @abc.abstractmethod
    def checks(self, target: str, *, limit: int | None = None) -> list[CheckRecord]:
        """Checks of ``target`` (a model name or ``name@alias``), oldest first."""

    @abc.abstractmethod
    def open_alert(
        self, rule: str, name: str, version: str | None, severity: str, at: float,
        check_id: int | None, body: dict[str, Any],
    ) -> AlertRecord | None:
        """Open an alert unless one is open for ``rule`` and ``name``."""

    @abc.abstractmethod
    def open_alerts(self, name: str | None = None) -> list[AlertRecord]:
        """Alerts not resolved yet."""

    @abc.abstractmethod
    def touch_alert(self, alert_id: int, at: float) -> None:
        """Record that the alert was notified again (repeat interval)."""

    @abc.abstractmethod
    def resolve_alert(self, alert_id: int, at: float) -> None:
        """Mark the alert resolved."""

    @abc.abstractmethod
    def add_event(self, event: AlertEvent) -> None:
        """Append to the alert history."""

    @abc.abstractmethod
    def alerts(self, name: str | None = None, *, limit: int = 100) -> list[AlertRecord]:
        """All alerts, newest first."""

    @abc.abstractmethod
    def events(self, alert_id: int | None = None) -> list[AlertEvent]:
        """Alert history, oldest first."""


def get_monitor_store(store: Any = None) -> MonitorStore:
    """The monitoring store of ``store`` (``None``: the default metadata store, or a URL)."""
    from hyperflow.store._factory import sql_store
    from hyperflow.store._monitor_sql import SQLMonitorStore

    if isinstance(store, MonitorStore):
        return store
    return SQLMonitorStore(sql_store(store, "monitoring needs"))
