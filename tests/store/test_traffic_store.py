"""The TrafficStore conformance suite on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from hyperflow._errors import StoreError
from hyperflow.store import SQLTrafficStore, TrafficStore, get_store, get_traffic_store
from hyperflow.store._traffic_conformance import TrafficStoreSuite


class TestSQLTrafficStore(TrafficStoreSuite):
    @pytest.fixture
    def traffic_store(self, store_url: str) -> TrafficStore:
        return get_traffic_store(store_url)


def test_factory_takes_none_a_url_or_an_instance(store_url: str) -> None:
    store = get_traffic_store(store_url)
    assert isinstance(store, SQLTrafficStore)
    assert get_traffic_store(store) is store
    assert isinstance(get_traffic_store(None), SQLTrafficStore)
    assert isinstance(get_store(store_url).traffic_store(), SQLTrafficStore)  # type: ignore[attr-defined]


def test_factory_refuses_what_is_not_a_store() -> None:
    with pytest.raises(StoreError, match="URL"):
        get_traffic_store(42)
