"""The test helpers themselves: CI must fail, not skip, without PostgreSQL."""

from __future__ import annotations

import pytest

from hyperflow.store.conformance import postgres_schema_url

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"


def test_unreachable_postgres_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with (
        pytest.raises(pytest.fail.Exception, match="CI requires it"),
        postgres_schema_url(UNREACHABLE),
    ):
        pass


def test_unreachable_postgres_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with (
        pytest.raises(pytest.skip.Exception, match="unreachable"),
        postgres_schema_url(UNREACHABLE),
    ):
        pass
