"""The audit store's conformance suite on SQLite and PostgreSQL, and its append-only table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from hyperflow.store import AuditStore, SQLStore
from hyperflow.store._audit_conformance import AuditStoreSuite


class TestSQLAuditStore(AuditStoreSuite):
    @pytest.fixture
    def audit_store(self, store_url: str) -> Iterator[AuditStore]:
        store = SQLStore(store_url)
        yield store.audit_store()
        store.close()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE hf_audit_log SET who = 'mallory'", "DELETE FROM hf_audit_log"],
)
def test_the_database_refuses_to_rewrite_the_log(store_url: str, statement: str) -> None:
    store = SQLStore(store_url)
    store.audit_store().append("model.register", "m:0.1.0", who="ann")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(sa.text(statement))
    assert [e.who for e in store.audit_store().events()] == ["ann"]
    store.close()
