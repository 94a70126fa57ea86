"""The MonitorStore conformance suite on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from hyperflow.store import MonitorStore, get_monitor_store
from hyperflow.store._monitor_conformance import MonitorStoreSuite


class TestSQLMonitorStore(MonitorStoreSuite):
    @pytest.fixture
    def monitor_store(self, store_url: str) -> MonitorStore:
        return get_monitor_store(store_url)
