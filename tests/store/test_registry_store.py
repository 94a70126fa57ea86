"""The registry store's conformance suite, on SQLite and a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hyperflow.store import RegistryStore, SQLStore
from hyperflow.store._registry_conformance import RegistryStoreSuite


class TestSQLRegistryStore(RegistryStoreSuite):
    @pytest.fixture
    def registry_store(self, store_url: str) -> Iterator[RegistryStore]:
        store = SQLStore(store_url)
        yield store.registry_store()
        store.close()
