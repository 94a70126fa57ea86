"""``SQLStateStore``: service state in the SQL metadata store (revision 0010 tables).

A ``put`` or ``delete`` first takes a lock on the document's *key* for its transaction
(a PostgreSQL advisory transaction lock on a hash of service, collection and key; on
SQLite all writers queue on one lock), then deletes the old items and document and
inserts the new ones, all in one transaction. A row lock would not do: the row it
locks is gone once the first writer replaced it. Should two writers still collide on
the primary key, the loser's transaction rolls back whole and is retried.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hyperflow._errors import StoreError
from hyperflow.store import _state_schema as T
from hyperflow.store._state_base import (
    NewItem,
    StateDocument,
    StateItem,
    StateStore,
    check_names,
)

if TYPE_CHECKING:
    from hyperflow.store._sql import SQLStore

__all__ = ["SQLStateStore"]

D, IT = T.docs, T.items
_RETRIES = 8
_LOCK_CLASS = 0x6873  # "hs": the advisory-lock key space of service state


def _lock_key(conn: sa.Connection, service: str, collection: str, key: str) -> None:
    """Serialize the writers of one document key until the transaction ends (PostgreSQL)."""
    if conn.dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"{service}\0{collection}\0{key}".encode()).digest()
    k = int.from_bytes(digest[:4], "big", signed=True)
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:c, :k)"), {"c": _LOCK_CLASS, "k": k})


def _json(value: Any, what: str) -> str:
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(
            f"state {what} must be JSON (dict, list, str, number, bool, None), but "
            f"{exc}; store bytes in data= / a vector, or convert the value"
        ) from None


def _bytes(value: Any, what: str) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    raise StoreError(f"state {what} must be bytes or None, but got {type(value).__name__}")


class SQLStateStore(StateStore):
    """Service state on a :class:`~hyperflow.store.SQLStore` (``get_state_store(url)``)."""

    def __init__(self, store: SQLStore) -> None:
        self._store = store
        self._engine = store.engine

    def __repr__(self) -> str:
        return f"SQLStateStore({self._store.url!r})"

    @staticmethod
    def _where(table: sa.Table, service: str, collection: str, key: str | None) -> Any:
        cond = (table.c.service == service) & (table.c.collection == collection)
        return cond if key is None else cond & (table.c.key == key)

    def put(
        self,
        service: str,
        collection: str,
        key: str,
        value: Any,
        *,
        data: bytes | None = None,
        items: Sequence[NewItem] = (),
        if_absent: bool = False,
    ) -> bool:
        check_names(service, collection, key)
        doc = {
            "service": service, "collection": collection, "key": key,
            "value": _json(value, "document value"), "data": _bytes(data, "data"),
            "items": len(items),
        }
        rows = [
            {"service": service, "collection": collection, "key": key, "seq": seq,
             "value": _json(v, f"item {seq}"), "vector": _bytes(vec, f"vector of item {seq}")}
            for seq, (v, vec) in enumerate(items)
        ]
        for _ in range(_RETRIES):
            try:
                return self._write(doc, rows, if_absent)
            except sa.exc.IntegrityError:
                if if_absent:  # a concurrent writer created it first
                    return False
        raise StoreError(
            f"could not write state {service}/{collection}/{key} after {_RETRIES} tries: "
            "other writers keep replacing it"
        )

    def _write(self, doc: dict[str, Any], rows: list[dict[str, Any]], if_absent: bool) -> bool:
        where_d = self._where(D, doc["service"], doc["collection"], doc["key"])
        where_i = self._where(IT, doc["service"], doc["collection"], doc["key"])
        now = time.time()
        with self._store._tx() as conn:
            _lock_key(conn, doc["service"], doc["collection"], doc["key"])
            found = conn.execute(sa.select(D.c.key).where(where_d)).first()
            if found is not None and if_absent:
                return False
            conn.execute(sa.delete(IT).where(where_i))
            conn.execute(sa.delete(D).where(where_d))
            conn.execute(sa.insert(D).values(**doc, created_at=now, updated_at=now))
            if rows:
                conn.execute(sa.insert(IT), rows)
        return True

    def get(self, service: str, collection: str, key: str) -> StateDocument | None:
        check_names(service, collection, key)
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(D).where(self._where(D, service, collection, key))).first()
        if row is None:
            return None
        return StateDocument(
            row.service, row.collection, row.key, json.loads(row.value),
            None if row.data is None else bytes(row.data), int(row.items),
            float(row.created_at), float(row.updated_at),
        )

    def items(
        self, service: str, collection: str, key: str | None = None, *, vectors: bool = True
    ) -> list[StateItem]:
        check_names(service, collection, key)
        cols = [IT.c.key, IT.c.seq, IT.c.value, *([IT.c.vector] if vectors else [])]
        q = sa.select(*cols).where(self._where(IT, service, collection, key))
        with self._engine.connect() as conn:
            rows = conn.execute(q.order_by(IT.c.key, IT.c.seq)).all()
        loads = json.loads
        return [
            StateItem(
                r[0], int(r[1]), loads(r[2]),
                None if not vectors or r[3] is None else bytes(r[3]),
            )
            for r in rows
        ]

    def delete(self, service: str, collection: str, key: str) -> bool:
        check_names(service, collection, key)
        with self._store._tx() as conn:
            _lock_key(conn, service, collection, key)
            conn.execute(sa.delete(IT).where(self._where(IT, service, collection, key)))
            gone = conn.execute(sa.delete(D).where(self._where(D, service, collection, key)))
        return bool(gone.rowcount)

    def keys(self, service: str, collection: str) -> list[str]:
        check_names(service, collection)
        q = sa.select(D.c.key).where(self._where(D, service, collection, None)).order_by(D.c.key)
        with self._engine.connect() as conn:
            return [r[0] for r in conn.execute(q)]

    def count(self, service: str, collection: str) -> int:
        check_names(service, collection)
        q = sa.select(sa.func.count()).select_from(D).where(
            self._where(D, service, collection, None)
        )
        with self._engine.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    def clear(self, service: str, collection: str | None = None) -> int:
        check_names(service, collection or "-")

        def where(t: sa.Table) -> Any:
            cond = t.c.service == service
            return cond if collection is None else cond & (t.c.collection == collection)

        with self._store._tx() as conn:
            conn.execute(sa.delete(IT).where(where(IT)))
            return int(conn.execute(sa.delete(D).where(where(D))).rowcount or 0)
