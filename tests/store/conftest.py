"""Backends for the store conformance suites: SQLite and PostgreSQL, local dir and S3."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hyperflow.store import FileArtifactStore, SQLStore
from hyperflow.store.conformance import moto_s3


@pytest.fixture(scope="session")
def s3_options() -> Iterator[dict[str, Any]]:
    with moto_s3() as opts:
        yield opts


@pytest.fixture
def metadata_store(store_url: str) -> Iterator[SQLStore]:
    store = SQLStore(store_url)
    yield store
    store.close()


@pytest.fixture(params=["local", "s3"])
def artifact_store(request: pytest.FixtureRequest, tmp_path: Path) -> FileArtifactStore:
    if request.param == "local":
        return FileArtifactStore(str(tmp_path / "artifacts"))
    opts = dict(request.getfixturevalue("s3_options"))
    bucket = opts.pop("bucket")
    return FileArtifactStore(f"s3://{bucket}/{uuid.uuid4().hex}", storage_options=opts)
