"""Shared fixtures: every test runs in its own project directory, so the default
store, artifact root and cache (`.hyperflow/` under the current directory) never
leak between tests; the per-process registries (opened stores, named caches, the
active run) are emptied of what a test added, so no state crosses tests either."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hyperflow.store.conformance import postgres_schema_url


@pytest.fixture(autouse=True)
def _isolated_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    for var in ("HYPERFLOW_STORE", "HYPERFLOW_ARTIFACTS", "HYPERFLOW_CACHE"):
        monkeypatch.delenv(var, raising=False)
    # the test project folder is empty: trust the repository's packages for stored references
    monkeypatch.setenv("HYPERFLOW_TRUSTED_MODULES", "tests,examples")
    yield tmp_path


@contextmanager
def registries_restored() -> Iterator[None]:
    """Close and forget the stores and caches opened inside; drop a run left active.

    What existed before (opened by module- or session-scoped fixtures, which
    pytest sets up before a test's own fixtures) is kept as it was.
    """
    from hyperflow.engine import _get_cache
    from hyperflow.store import _factory
    from hyperflow.tracking import _active

    stores = dict(_factory._stores)
    artifact_stores = dict(_factory._artifact_stores)
    disk, memory = dict(_get_cache._DISK), dict(_get_cache._MEMORY)
    beating = set(_active._HEART._runs)
    token = _active._current.set(_active._current.get())
    try:
        yield
    finally:
        _active._current.reset(token)
        with _active._HEART._lock:  # runs left open stop beating into their store
            _active._HEART._runs &= beating
        with _factory._lock:
            opened = [s for k, s in _factory._stores.items() if k not in stores]
            _factory._stores.clear()
            _factory._stores.update(stores)
            _factory._artifact_stores.clear()
            _factory._artifact_stores.update(artifact_stores)
        for store in opened:
            store.close()
        with _get_cache._LOCK:
            _get_cache._DISK.clear()
            _get_cache._DISK.update(disk)
            _get_cache._MEMORY.clear()
            _get_cache._MEMORY.update(memory)


@pytest.fixture(autouse=True)
def _fresh_registries() -> Iterator[None]:
    with registries_restored():
        yield


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with postgres_schema_url() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/hyperflow.db"
    url: str = request.getfixturevalue("postgres_url")
    return url
