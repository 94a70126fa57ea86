"""The conformance suite of :class:`~hyperflow.store.AuditStore`, run on every backend.

Subclass it in a test module and provide a fresh, empty ``audit_store``::

    class TestMyAudit(AuditStoreSuite):
        @pytest.fixture
        def audit_store(self):
            return MyStore(...).audit_store()

Requires pytest.
"""

from __future__ import annotations

import threading

import pytest

from hyperflow.store._audit_base import AuditStore

__all__ = ["AuditStoreSuite"]


class AuditStoreSuite:
    """Tests every :class:`AuditStore` must pass."""

    def test_events_come_back_in_order_with_all_fields(self, audit_store: AuditStore) -> None:
        first = audit_store.append(
            "model.register", "m:0.1.0", who="ann", details={"run_id": "r1"}, reason="first"
        )
        second = audit_store.append("alias.set", "m@production", who="bob")
        events = audit_store.events()
        assert [e.id for e in events] == [first.id, second.id] and first.id < second.id
        assert events[0] == first and events[0].details == {"run_id": "r1"}
        assert events[0].reason == "first" and events[1].reason is None
        assert events[0].at <= events[1].at

    def test_filters_and_limit_keep_the_newest(self, audit_store: AuditStore) -> None:
        audit_store.append("model.register", "m:0.1.0", who="ann")
        audit_store.append("alias.set", "m@production", who="bob")
        audit_store.append("alias.remove", "m@production", who="ann")
        audit_store.append("version.delete", "m:0.1.0", who="ann")
        assert [e.action for e in audit_store.events(action="alias.")] == [
            "alias.set",
            "alias.remove",
        ]
        assert [e.action for e in audit_store.events(action="alias.set")] == ["alias.set"]
        assert len(audit_store.events(target="m:0.1.0")) == 2
        assert {e.who for e in audit_store.events(who="bob")} == {"bob"}
        assert [e.action for e in audit_store.events(limit=2)] == [
            "alias.remove",
            "version.delete",
        ]
        last = audit_store.events()[-1]
        assert audit_store.events(since=last.at)[-1] == last
        assert audit_store.events(since=last.at + 3600) == []

    def test_a_returned_event_is_never_changed(self, audit_store: AuditStore) -> None:
        event = audit_store.append("model.register", "m:0.1.0", who="ann", details={"a": 1})
        event.details["a"] = 2  # a caller's change stays in its copy
        assert audit_store.events()[0].details == {"a": 1}

    def test_concurrent_appends_all_land(self, audit_store: AuditStore) -> None:
        def work(i: int) -> None:
            for j in range(5):
                audit_store.append("x.y", f"t{i}", who=f"w{i}", details={"j": j})

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        events = audit_store.events()
        assert len(events) == 20 and len({e.id for e in events}) == 20

    def test_documentation_merges_and_clears(self, audit_store: AuditStore) -> None:
        assert audit_store.documentation("m", "0.1.0") == {}
        audit_store.set_documentation("m", "0.1.0", {"intended_use": "triage"}, who="ann")
        docs = audit_store.set_documentation(
            "m", "0.1.0", {"limitations": "adults only"}, who="ann"
        )
        assert docs == {"intended_use": "triage", "limitations": "adults only"}
        audit_store.set_documentation("m", "0.1.0", {"intended_use": None}, who="ann")
        assert audit_store.documentation("m", "0.1.0") == {"limitations": "adults only"}
        assert audit_store.documentation("m", "0.2.0") == {}
        with pytest.raises(ValueError, match="unknown documentation field"):
            audit_store.set_documentation("m", "0.1.0", {"usage": "x"}, who="ann")

    def test_fairness_results_newest_first(self, audit_store: AuditStore) -> None:
        audit_store.record_fairness("m", "0.1.0", '{"n": 1}')
        audit_store.record_fairness("m", "0.1.0", '{"n": 2}')
        audit_store.record_fairness("m", "0.2.0", '{"n": 3}')
        got = audit_store.fairness_results("m", "0.1.0")
        assert [r["result"] for r in got] == ['{"n": 2}', '{"n": 1}']
        assert audit_store.fairness_results("other", "1.0.0") == []
