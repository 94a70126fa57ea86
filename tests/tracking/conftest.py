"""Helpers for tracking tests: child processes running the worktree's code, backends."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hyperflow.store.conformance import postgres_schema_url

SRC = str(Path(__file__).resolve().parents[2] / "src")


def spawn(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``python -c code args...`` importing this checkout's hyperflow."""
    full = {**os.environ, "PYTHONPATH": SRC, **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/hyperflow.db"
        return
    with postgres_schema_url() as url:
        yield url
