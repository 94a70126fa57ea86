"""The StateStore conformance suite on SQLite and PostgreSQL, and state across processes."""

from __future__ import annotations

import multiprocessing

import pytest

from hyperflow.store import SQLStore, StateStore, get_state_store
from hyperflow.store._state_conformance import StateStoreSuite


class TestSQLStateStore(StateStoreSuite):
    @pytest.fixture
    def state_store(self, store_url: str) -> StateStore:
        return get_state_store(store_url)


def _writer(url: str, worker: int) -> None:
    state = get_state_store(url)
    for n in range(10):
        items = [(f"{worker}-{n}-{i}", bytes([worker, i])) for i in range(3)]
        state.put("svc", "docs", f"w{worker}-{n}", {"worker": worker}, items=items)
        state.put("svc", "docs", "shared", {"worker": worker, "n": n}, items=items[: n % 3])


@pytest.mark.slow
def test_processes_share_state_and_it_survives_reopening(store_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(store_url, w)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    reopened = SQLStore(store_url)  # a fresh engine: what a restarted server sees
    try:
        state = get_state_store(reopened)
        keys = state.keys("svc", "docs")
        assert len(keys) == 31 and "shared" in keys
        assert len(state.items("svc", "docs")) == 90 + len(state.items("svc", "docs", "shared"))
        shared = state.get("svc", "docs", "shared")
        assert shared is not None
        assert len(state.items("svc", "docs", "shared")) == shared.items == shared.value["n"] % 3
    finally:
        reopened.close()


def test_a_state_store_instance_is_returned_as_is(tmp_path: object) -> None:
    state = get_state_store(f"sqlite:///{tmp_path}/s.db")
    assert get_state_store(state) is state
