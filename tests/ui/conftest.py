from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui import project

TOKEN = "s3cret-admin-token"


@pytest.fixture
def seeded(tmp_path: Path) -> dict[str, str]:
    """The test project's default store (in ``tmp_path``), filled by ``project.seed``."""
    return project.seed()


@pytest.fixture
def client(seeded: dict[str, str]) -> Iterator[object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient

    import hyperflow as hf

    app = hf.ui.create_app(admin_token=TOKEN, pipelines={"ui-train": project.train})
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c
