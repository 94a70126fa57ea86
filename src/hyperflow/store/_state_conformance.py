"""The conformance suite of :class:`~hyperflow.store.StateStore`, run on every backend.

Subclass it in a test module and provide a fresh, empty ``state_store``::

    class TestMyStateStore(StateStoreSuite):
        @pytest.fixture
        def state_store(self):
            return MyStateStore(...)

Requires pytest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from hyperflow._errors import StoreError
from hyperflow.store._state_base import StateStore

__all__ = ["StateStoreSuite"]


def _threads(n: int, work: Callable[[int], object]) -> list[object]:
    out: list[object] = [None] * n
    errors: list[BaseException] = []
    start = threading.Barrier(n)

    def run(i: int) -> None:
        try:
            start.wait()
            out[i] = work(i)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return out


class StateStoreSuite:
    """Behaviour every ``StateStore`` must show."""

    def test_a_document_comes_back_with_its_data_and_items_in_order(
        self, state_store: StateStore
    ) -> None:
        items = [({"text": f"c{i}"}, bytes([i]) * 4) for i in range(12)]
        assert state_store.put("svc", "docs", "d1", {"title": "T"}, data=b"\x00raw", items=items)
        doc = state_store.get("svc", "docs", "d1")
        assert doc is not None
        assert (doc.value, doc.data, doc.items) == ({"title": "T"}, b"\x00raw", 12)
        got = state_store.items("svc", "docs", "d1")
        assert [(i.seq, i.value["text"], i.vector) for i in got] == [
            (n, f"c{n}", bytes([n]) * 4) for n in range(12)
        ]
        assert all(i.vector is None for i in state_store.items("svc", "docs", vectors=False))

    def test_a_put_replaces_the_document_and_all_its_earlier_items(
        self, state_store: StateStore
    ) -> None:
        state_store.put("svc", "docs", "d", 1, items=[(n, None) for n in range(5)])
        state_store.put("svc", "docs", "d", 2, items=[("only", b"v")])
        doc = state_store.get("svc", "docs", "d")
        assert doc is not None and (doc.value, doc.items) == (2, 1)
        assert [(i.value, i.vector) for i in state_store.items("svc", "docs", "d")] == [
            ("only", b"v")
        ]

    def test_if_absent_leaves_an_existing_document_as_it_was(
        self, state_store: StateStore
    ) -> None:
        assert state_store.put("svc", "docs", "d", "first", items=[("a", None)], if_absent=True)
        assert not state_store.put("svc", "docs", "d", "second", items=[], if_absent=True)
        doc = state_store.get("svc", "docs", "d")
        assert doc is not None and doc.value == "first"
        assert [i.value for i in state_store.items("svc", "docs", "d")] == ["a"]

    def test_delete_removes_the_document_and_its_items_only(self, state_store: StateStore) -> None:
        state_store.put("svc", "docs", "a", {}, items=[("a0", None), ("a1", None)])
        state_store.put("svc", "docs", "b", {}, items=[("b0", None)])
        assert state_store.delete("svc", "docs", "a")
        assert not state_store.delete("svc", "docs", "a")
        assert state_store.get("svc", "docs", "a") is None
        assert [(i.key, i.value) for i in state_store.items("svc", "docs")] == [("b", "b0")]
        assert state_store.keys("svc", "docs") == ["b"]

    def test_services_and_collections_are_kept_apart(self, state_store: StateStore) -> None:
        state_store.put("svc", "docs", "k", "docs")
        state_store.put("svc", "kv", "k", "kv")
        state_store.put("other", "docs", "k", "other")
        assert state_store.get("svc", "docs", "k").value == "docs"  # type: ignore[union-attr]
        assert state_store.get("svc", "kv", "k").value == "kv"  # type: ignore[union-attr]
        assert state_store.count("svc", "docs") == 1
        assert state_store.clear("svc") == 2
        assert state_store.get("other", "docs", "k") is not None
        assert state_store.keys("svc", "docs") == []

    def test_values_that_are_not_json_are_refused_and_nothing_is_written(
        self, state_store: StateStore
    ) -> None:
        with pytest.raises(StoreError, match="JSON"):
            state_store.put("svc", "docs", "d", {"x": object()})
        with pytest.raises(StoreError, match="JSON"):
            state_store.put("svc", "docs", "d", {}, items=[("ok", None), ({1, 2}, None)])
        with pytest.raises(StoreError, match="bytes"):
            state_store.put("svc", "docs", "d", {}, items=[("ok", "not bytes")])  # type: ignore[list-item]
        assert state_store.get("svc", "docs", "d") is None

    def test_empty_or_too_long_names_are_refused(self, state_store: StateStore) -> None:
        for service, collection, key in [("", "c", "k"), ("s", "", "k"), ("s", "c", "k" * 251)]:
            with pytest.raises(StoreError, match="non-empty string"):
                state_store.put(service, collection, key, 1)

    def test_concurrent_puts_of_different_documents_lose_none(
        self, state_store: StateStore
    ) -> None:
        def put(i: int) -> bool:
            items = [(f"{i}-{n}", bytes([n])) for n in range(5)]
            return state_store.put("svc", "docs", f"d{i:02d}", {"i": i}, items=items)

        assert all(_threads(8, put))
        assert state_store.keys("svc", "docs") == [f"d{i:02d}" for i in range(8)]
        got = state_store.items("svc", "docs")
        assert len(got) == 40
        assert all(i.value.startswith(i.key[1:].lstrip("0") or "0") for i in got)

    def test_concurrent_puts_of_one_key_leave_one_writers_items(
        self, state_store: StateStore
    ) -> None:
        def put(i: int) -> bool:
            items = [(f"w{i}", None)] * (i % 3)  # writers differ in item count, some have none
            return state_store.put("svc", "docs", "same", {"writer": i}, items=items)

        assert all(_threads(6, put))
        doc = state_store.get("svc", "docs", "same")
        assert doc is not None
        items = state_store.items("svc", "docs", "same")
        assert len(items) == doc.items == doc.value["writer"] % 3
        assert {i.value for i in items} <= {f"w{doc.value['writer']}"}
        assert state_store.count("svc", "docs") == 1

    def test_concurrent_create_if_absent_has_exactly_one_winner(
        self, state_store: StateStore
    ) -> None:
        won = _threads(6, lambda i: state_store.put("svc", "docs", "x", i, if_absent=True))
        assert won.count(True) == 1
        doc = state_store.get("svc", "docs", "x")
        assert doc is not None and won[doc.value] is True
