"""``hyperflow optimize --pruner``: pruned trials counted in the summary (issue 21, point 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hyperflow.cli import app, main

runner = CliRunner()
pytestmark = pytest.mark.slow  # a search of 8-10 tracked trials each


def _project(tmp_path: Path, extra: str = "") -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.hyperflow]\n"
        'name = "epochs"\n'
        'train = "tests.optimize.pipelines:epochs_pipeline"\n'
        'objective = "score"\n'
        "[tool.hyperflow.optimize]\n"
        f"seed = 1\n{extra}",
        encoding="utf-8",
    )


def test_the_summary_counts_pruned_trials(tmp_path: Path) -> None:
    _project(tmp_path)
    result = runner.invoke(app, ["optimize", "--trials", "10", "--pruner", "median", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["pruned"] > 0 and data["complete"] + data["pruned"] == 10
    listed = runner.invoke(app, ["runs", "list", "--where", "status = 'pruned'", "--json"])
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.output)) == data["pruned"]


def test_a_pruner_from_the_project_config_and_a_misspelled_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path, 'pruner = "median"\n')
    result = runner.invoke(app, ["optimize", "--trials", "8", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["pruned"] > 0
    assert main(["optimize", "--trials", "1", "--pruner", "medain"]) == 1
    assert "unknown pruner 'medain' (did you mean 'median'?)" in capsys.readouterr().err
