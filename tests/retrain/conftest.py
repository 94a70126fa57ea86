"""A temporary project around ``tests.retrain.project`` with a production champion."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import hyperflow as hf
from hyperflow.store import ModelVersion
from tests.retrain.project import predict, train, write_rows

BASE = """[tool.hyperflow]
name = "points"
train = "tests.retrain.project:train"
predict = "tests.retrain.project:predict"
objective = "accuracy"
store = "{store}"

[tool.hyperflow.inputs]
path = "rows.csv"
"""

Project = Callable[..., ModelVersion]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """Write the project (``gate``: extra TOML), train and register the champion."""

    def make(gate: str = "", store: str | None = None, flip: float = 0.0) -> ModelVersion:
        url = store or f"sqlite:///{tmp_path}/.hyperflow/hyperflow.db"
        text = BASE.format(store=url) + gate
        (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
        write_rows(tmp_path / "rows.csv", flip=flip)
        run = train.run(inputs={"path": "rows.csv"}, outputs=["model", "metrics"])
        mv = hf.registry.register("points", run_id=run.run_id, predict=predict)
        hf.registry.set_alias("points", "production", mv.version)
        return mv

    return make
