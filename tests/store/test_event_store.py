"""The EventStore conformance suite on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from hyperflow.store import EventStore, get_event_store
from hyperflow.store._events_conformance import EventStoreSuite


class TestSQLEventStore(EventStoreSuite):
    @pytest.fixture
    def event_store(self, store_url: str) -> EventStore:
        return get_event_store(store_url)
