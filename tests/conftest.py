"""Shared fixtures: every test runs in its own project directory, so the default
store, artifact root and cache (`.hyperflow/` under the current directory) never
leak between tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hyperflow.store.testing import postgres_schema_url


@pytest.fixture(autouse=True)
def _isolated_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    for var in ("HYPERFLOW_STORE", "HYPERFLOW_ARTIFACTS", "HYPERFLOW_CACHE"):
        monkeypatch.delenv(var, raising=False)
    # the test project folder is empty: trust the repository's packages for stored references
    monkeypatch.setenv("HYPERFLOW_TRUSTED_MODULES", "tests,examples")
    yield tmp_path


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
