"""The conformance suite of :class:`~hyperflow.store.EventStore`, run on every backend.

Subclass it in a test module and provide a fresh, empty ``event_store``::

    class TestMyEvents(EventStoreSuite):
        @pytest.fixture
        def event_store(self):
            return get_event_store(url)

Requires pytest.
"""

from __future__ import annotations

import threading

import pytest

from hyperflow._errors import StoreError
from hyperflow.store._events import EventStore

__all__ = ["EventStoreSuite"]


class EventStoreSuite:
    """Tests every :class:`EventStore` must pass."""

    def test_a_chain_reads_back_in_order_with_its_causes(self, event_store: EventStore) -> None:
        alert = event_store.add_event("m", "alert", {"rule": "drift"}, actor="agent")
        retrain = event_store.add_event("m", "retrain", {"mode": "refit"}, cause_id=alert.id)
        event_store.add_event("other", "alert", {})
        got = event_store.events("m")
        assert [e.id for e in got] == [alert.id, retrain.id] and alert.id < retrain.id
        assert got[0] == alert and got[0].detail == {"rule": "drift"} and got[0].actor == "agent"
        assert got[1].cause_id == alert.id and got[0].cause_id is None
        assert len(event_store.events()) == 3
        assert event_store.event(retrain.id) == retrain
        assert event_store.event(retrain.id + 1000) is None

    def test_limit_keeps_the_newest(self, event_store: EventStore) -> None:
        for i in range(5):
            event_store.add_event("m", "trigger", {"i": i})
        assert [e.detail["i"] for e in event_store.events("m", limit=2)] == [3, 4]

    def test_a_cause_must_exist(self, event_store: EventStore) -> None:
        with pytest.raises(StoreError, match="cause event 999 does not exist"):
            event_store.add_event("m", "retrain", {}, cause_id=999)
        assert event_store.events("m") == []

    def test_a_returned_record_is_never_changed(self, event_store: EventStore) -> None:
        event = event_store.add_event("m", "gate", {"a": 1})
        event.detail["a"] = 2
        assert event_store.events("m")[0].detail == {"a": 1}

    def test_concurrent_appends_all_land(self, event_store: EventStore) -> None:
        def work(i: int) -> None:
            for j in range(5):
                event_store.add_event(f"m{i}", "trigger", {"j": j})

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        got = event_store.events()
        assert len(got) == 20 and len({e.id for e in got}) == 20

    def test_decisions_keep_every_rule_and_run(self, event_store: EventStore) -> None:
        event = event_store.add_event("m", "gate", {"passed": False})
        rules = [{"rule": "improvement", "passed": False, "challenger": 0.8, "champion": 0.81}]
        first = event_store.add_decision(
            "m",
            challenger="0.2.0",
            champion="0.1.0",
            passed=False,
            rules=rules,
            runs={"challenger": "r2", "champion": "r1"},
            event_id=event.id,
        )
        event_store.add_decision(
            "m", challenger="0.3.0", champion="0.1.0", passed=True, rules=[], runs={}
        )
        got = event_store.decisions("m")
        assert [d.challenger for d in got] == ["0.2.0", "0.3.0"]
        assert got[0] == first and got[0].rules == rules and got[0].event_id == event.id
        assert got[0].runs == {"challenger": "r2", "champion": "r1"} and not got[0].passed
        assert got[1].passed and got[1].champion == "0.1.0"
        assert [d.id for d in event_store.decisions("m", challenger="0.3.0")] == [got[1].id]
        assert event_store.decisions("other") == []
