"""The autouse fixtures of tests/conftest.py: no per-process state crosses tests."""

from __future__ import annotations

from pathlib import Path

from hyperflow.engine import _get_cache, get_cache
from hyperflow.store import SQLStore, _factory, get_artifact_store, get_store
from hyperflow.tracking import _active, active_run, start_run
from tests.conftest import registries_restored


def _sql(url: str) -> SQLStore:
    store = get_store(url)
    assert isinstance(store, SQLStore)
    return store


def test_what_a_test_opens_is_closed_and_forgotten_and_what_was_there_stays(
    tmp_path: Path,
) -> None:
    kept = _sql(f"sqlite:///{tmp_path}/kept.db")  # opened before, e.g. by a module fixture
    kept_pool = kept.engine.pool
    with registries_restored():
        inner = _sql(f"sqlite:///{tmp_path}/inner.db")
        inner_pool = inner.engine.pool
        get_artifact_store(str(tmp_path / "artifacts"))
        memory = get_cache("memory")
        get_cache(str(tmp_path / "cache"))
        run = start_run("left-open").__enter__()  # a test that never closed its run
        assert active_run() is run and run in _active._HEART._runs
    assert active_run() is None
    assert run not in _active._HEART._runs
    assert inner.engine.pool is not inner_pool  # disposed: its connections are closed
    assert kept.engine.pool is kept_pool
    assert list(_factory._stores.values()) == [kept]
    assert not _factory._artifact_stores
    assert not _get_cache._DISK and not _get_cache._MEMORY
    assert get_cache("memory") is not memory
    run.end("finished")
