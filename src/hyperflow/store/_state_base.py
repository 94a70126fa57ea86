"""The contract of service state: documents and their items that endpoints keep.

A served :class:`hyperflow.Service` may keep state between requests (uploaded
documents, their chunks and vectors). :class:`StateStore` stores it by
``(service, collection, key)``:

* a **document** is one JSON value plus optional bytes (``data``);
* a document owns ordered **items** (e.g. chunks): a JSON value each plus an
  optional vector as bytes;
* ``put`` writes a document *with* its items in one transaction, replacing the
  document and *all* its earlier items (or, with ``if_absent``, writing nothing
  when the key exists); concurrent ``put`` calls of one key leave exactly one
  document with exactly its own items, never a mix, never a duplicate;
* ``delete`` removes a document and its items in one transaction;
* what was written survives a restart and is seen by every process sharing the
  database (PostgreSQL, or one SQLite file).

Every implementation passes the conformance suite ``StateStoreSuite``
(``hyperflow.store._state_conformance``, run on SQLite and PostgreSQL by
``tests/store/test_state_store.py``).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hyperflow._errors import StoreError

__all__ = ["NewItem", "StateDocument", "StateItem", "StateStore", "get_state_store"]

#: an item to write: its JSON value and an optional vector (bytes)
NewItem = tuple[Any, bytes | None]


@dataclass(frozen=True)
class StateDocument:
    """One stored document.

    Attributes:
        service, collection, key: where it is kept.
        value: its JSON value; data: its bytes (or ``None``).
        items: how many items it owns.
        created_at, updated_at: epoch seconds (``created_at`` of this write).
    """

    service: str
    collection: str
    key: str
    value: Any
    data: bytes | None
    items: int
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class StateItem:
    """One item (e.g. a chunk) of the document ``key``, at position ``seq`` (from 0)."""

    key: str
    seq: int
    value: Any
    vector: bytes | None = None


class StateStore(abc.ABC):
    """Documents and their items, per service and collection (contract: module docstring).

    Names: ``service`` and ``key`` up to 250 characters, ``collection`` up to 128,
    none empty; longer or empty names raise ``StoreError``. Values must be JSON
    (``StoreError`` otherwise, naming the offending type).
    """

    @abc.abstractmethod
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
        """Write a document with its items atomically; ``False`` when ``if_absent`` and
        the key exists (nothing written), else ``True``."""

    @abc.abstractmethod
    def get(self, service: str, collection: str, key: str) -> StateDocument | None:
        """The document at ``key``, or ``None``."""

    @abc.abstractmethod
    def items(
        self, service: str, collection: str, key: str | None = None, *, vectors: bool = True
    ) -> list[StateItem]:
        """The items of document ``key`` (``None``: of every document), ordered by
        key then ``seq``; ``vectors=False`` leaves ``vector`` ``None`` (cheaper)."""

    @abc.abstractmethod
    def delete(self, service: str, collection: str, key: str) -> bool:
        """Remove a document and its items; ``False`` when there was none."""

    @abc.abstractmethod
    def keys(self, service: str, collection: str) -> list[str]:
        """The document keys of a collection, sorted."""

    @abc.abstractmethod
    def clear(self, service: str, collection: str | None = None) -> int:
        """Remove every document (and item) of a collection, or of the whole service;
        returns the number of documents removed."""

    def count(self, service: str, collection: str) -> int:
        """How many documents a collection holds."""
        return len(self.keys(service, collection))


def check_names(service: str, collection: str, key: str | None = None) -> None:
    """Raise ``StoreError`` for an empty, non-text or too long name."""
    limits = {"service": (service, 250), "collection": (collection, 128)}
    if key is not None:
        limits["key"] = (key, 250)
    for what, (name, limit) in limits.items():
        if not isinstance(name, str) or not name or len(name) > limit:
            raise StoreError(
                f"a state {what} is a non-empty string of at most {limit} characters, "
                f"but got {name!r:.80}"
            )


def get_state_store(store: Any = None) -> StateStore:
    """The state store for ``store``: a ``StateStore`` as is, else the one kept in the
    metadata store ``store`` (``None``: the default; a URL; a ``MetadataStore``).

    Example:
        >>> import tempfile
        >>> state = get_state_store(f"sqlite:///{tempfile.mkdtemp()}/s.db")
        >>> state.put("docs", "files", "a", {"title": "A"}, items=[("chunk", None)])
        True
        >>> [i.value for i in state.items("docs", "files", "a")]
        ['chunk']
    """
    from hyperflow.store._factory import sql_store
    from hyperflow.store._state_sql import SQLStateStore

    if isinstance(store, StateStore):
        return store
    return SQLStateStore(sql_store(store, "service state needs"))
