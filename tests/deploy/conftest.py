"""A registered model to bundle: the registry tests' tiny pure-Python pipelines."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperflow import registry
from tests.registry import models


@pytest.fixture
def registered(tmp_path: Path) -> str:
    """A SQLite store URL holding ``demo`` 0.1.0 (alias ``production``) and 0.2.0."""
    return register_demo(f"sqlite:///{tmp_path}/hyperflow.db")


def register_demo(url: str) -> str:
    """Register ``demo`` 0.1.0 (alias ``production``) and 0.2.0 in the store at ``url``."""
    for scale in (2.0, 3.0):
        run = models.train.run(config={"model.scale": scale}, outputs=["model", "metrics"], track=url)
        registry.register("demo", run_id=str(run.run_id), predict=models.predict, store=url)
    registry.set_alias("demo", "production", "0.1.0", store=url)
    return url
