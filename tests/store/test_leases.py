"""The lease store's conformance suite on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from hyperflow.store import LeaseStore, get_lease_store
from hyperflow.store._leases_conformance import LeaseStoreSuite


class TestSQLLeaseStore(LeaseStoreSuite):
    @pytest.fixture
    def lease_url(self, store_url: str) -> str:
        return store_url

    @pytest.fixture
    def lease_store(self, lease_url: str) -> LeaseStore:
        return get_lease_store(lease_url)


def test_the_factory_takes_an_instance_as_is(store_url: str) -> None:
    leases = get_lease_store(store_url)
    assert get_lease_store(leases) is leases
