"""The conformance suite of :class:`~hyperflow.store.MonitorStore`, run on every backend.

Subclass it in a test module and provide a fresh, empty ``monitor_store``::

    class TestMyMonitorStore(MonitorStoreSuite):
        @pytest.fixture
        def monitor_store(self):
            return MyMonitorStore(...)

Requires pytest.
"""

from __future__ import annotations

import threading

import pytest

from hyperflow._errors import StoreError
from hyperflow.store._monitor_base import (
    AlertEvent,
    CheckRecord,
    MonitorStore,
    ReferenceProfile,
)

__all__ = ["MonitorStoreSuite"]


def _check(end: float, **kw: object) -> CheckRecord:
    base: dict[str, object] = {
        "name": "m", "target": "m@production", "version": "1.0.0", "window_start": end - 10,
        "window_end": end, "figures": {"requests": 5.0, "drift.top": [{"column": "x"}]},
        "rules": {"r": True}, "created_at": 1.0,
    }
    base.update(kw)
    return CheckRecord(**base)  # type: ignore[arg-type]


class MonitorStoreSuite:
    """Behaviour every ``MonitorStore`` must have."""

    @pytest.fixture
    def monitor_store(self) -> MonitorStore:
        raise NotImplementedError("provide a fresh, empty MonitorStore")

    def test_reference_round_trip_and_replace(self, monitor_store: MonitorStore) -> None:
        assert monitor_store.get_reference("m", "1.0.0") is None
        ref = ReferenceProfile("m", "1.0.0", b"\x00PK\xff" * 1000, ["x", "y"], 10, "register", 2.0)
        monitor_store.save_reference(ref)
        assert monitor_store.get_reference("m", "1.0.0") == ref
        monitor_store.save_reference(ReferenceProfile("m", "1.0.0", b"new", ["x"], 3, "s", 3.0))
        got = monitor_store.get_reference("m", "1.0.0")
        assert got is not None and got.data == b"new" and got.fields == ["x"]

    def test_calibrations_are_kept_with_the_profile(self, monitor_store: MonitorStore) -> None:
        monitor_store.add_calibration("m", "1.0.0", "100|0.01|100", 1.5)  # no profile: no-op
        assert monitor_store.get_calibration("m", "1.0.0") == {}
        monitor_store.save_reference(ReferenceProfile("m", "1.0.0", b"d", ["x"], 1, "s", 1.0))
        monitor_store.add_calibration("m", "1.0.0", "100|0.01|100", 1.5)
        monitor_store.add_calibration("m", "1.0.0", "200|0.01|100", 2.5)
        assert monitor_store.get_calibration("m", "1.0.0") == {
            "100|0.01|100": 1.5, "200|0.01|100": 2.5,
        }

    def test_checks_are_ordered_limited_and_stored_once(self, monitor_store: MonitorStore) -> None:
        ids = [monitor_store.add_check(_check(end)) for end in (30.0, 10.0, 20.0)]
        assert len(set(ids)) == 3
        got = monitor_store.checks("m@production")
        assert [c.window_end for c in got] == [10.0, 20.0, 30.0]
        assert got[0].figures == {"requests": 5.0, "drift.top": [{"column": "x"}]}
        assert got[0].rules == {"r": True} and got[0].check_id == ids[1]
        assert [c.window_end for c in monitor_store.checks("m", limit=2)] == [20.0, 30.0]
        with pytest.raises(StoreError, match="checked once"):
            monitor_store.add_check(_check(30.0))
        assert monitor_store.checks("other") == []

    def test_one_open_alert_per_rule_and_model(self, monitor_store: MonitorStore) -> None:
        a = monitor_store.open_alert("r", "m", "1.0.0", "critical", 1.0, None, {"k": 1})
        assert a is not None and a.body == {"k": 1} and a.resolved_at is None
        assert monitor_store.open_alert("r", "m", "1.0.0", "critical", 2.0, None, {}) is None
        b = monitor_store.open_alert("r", "other", None, "info", 2.0, None, {})
        assert b is not None
        monitor_store.touch_alert(a.alert_id, 5.0)
        assert monitor_store.open_alerts("m")[0].last_sent_at == 5.0
        monitor_store.resolve_alert(a.alert_id, 6.0)
        assert [x.name for x in monitor_store.open_alerts()] == ["other"]
        again = monitor_store.open_alert("r", "m", "1.0.0", "critical", 7.0, None, {})
        assert again is not None and again.alert_id != a.alert_id
        assert [x.alert_id for x in monitor_store.alerts("m")] == [again.alert_id, a.alert_id]
        monitor_store.add_event(AlertEvent(a.alert_id, "delivered", 6.5, "hook", None))
        kinds = [(e.kind, e.channel) for e in monitor_store.events(a.alert_id)]
        assert kinds == [("fired", None), ("repeated", None), ("resolved", None),
                         ("delivered", "hook")]

    def test_concurrent_openers_create_one_alert(self, monitor_store: MonitorStore) -> None:
        results: list[object] = []
        barrier = threading.Barrier(4)

        def opener() -> None:
            barrier.wait()
            results.append(monitor_store.open_alert("r", "m", None, "warning", 1.0, None, {}))

        threads = [threading.Thread(target=opener) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(r is not None for r in results) == 1
        assert len(monitor_store.open_alerts("m")) == 1
