"""``hyperflow retrain``, ``hyperflow events`` and the gate in ``models show``, in a temp project."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hyperflow.cli import app
from tests.retrain.conftest import Project
from tests.retrain.project import write_rows

runner = CliRunner()


def test_retrain_prints_progress_rules_and_the_cache_figures(project: Project) -> None:
    project()
    result = runner.invoke(app, ["retrain", "points"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "champion points:0.1.0" in out and "0 node(s) recomputed, 5 cached" in out
    assert "gate passed: 0.2.0 vs 0.1.0" in out
    assert "improvement" in out and "accuracy: 1 vs 1" in out


def test_retrain_json_with_inputs(project: Project, tmp_path: Path) -> None:
    project()
    write_rows(tmp_path / "new.csv", seed=5)
    result = runner.invoke(app, ["retrain", "points", "--input", "path=new.csv", "--json"])
    data = json.loads(result.output)
    assert result.exit_code == (0 if data["passed"] else 1)  # the gate's verdict is the status
    assert data["cached"] == ["features"] and len(data["recomputed"]) == 4
    assert data["challenger"] == "0.2.0" and data["rules"][0]["rule"] == "improvement"


def test_dry_run_through_a_failing_gate_exits_non_zero_and_moves_nothing(
    project: Project,
) -> None:
    project("\n[tool.hyperflow.gate]\nmin_improvement = 0.5\n")
    result = runner.invoke(app, ["retrain", "points", "--dry-run"])
    assert result.exit_code == 1
    assert "gate FAILED: (dry run) vs 0.1.0" in result.output and "FAIL" in result.output
    shown = json.loads(runner.invoke(app, ["models", "show", "points", "--json"]).output)
    assert [v["version"] for v in shown] == ["0.1.0"]


def test_a_rejected_challenger_and_its_decision_show_in_models_show(project: Project) -> None:
    project("\n[tool.hyperflow.gate]\nmin_improvement = 0.5\n")
    assert runner.invoke(app, ["retrain", "points"]).exit_code == 1
    table = runner.invoke(app, ["models", "show", "points"])
    assert table.exit_code == 0 and "gate decisions" in table.output
    assert "improvement" in table.output
    version = json.loads(runner.invoke(app, ["models", "show", "points:0.2.0", "--json"]).output)
    assert version["tags"]["rejected"] == "true" and version["aliases"] == ["latest"]
    (decision,) = version["gate_decisions"]
    assert decision["passed"] is False and decision["failed"] == ["improvement"]
    figures = decision["rules"][0]["figures"]
    assert figures["min_improvement"] == 0.5 and figures["improvement"] == 0.0


def test_events_print_the_chain_indented_by_cause(project: Project) -> None:
    project()
    assert runner.invoke(app, ["retrain", "points"]).exit_code == 0
    result = runner.invoke(app, ["events", "points"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "points retrain" in lines[0] and not lines[0].startswith(" ")
    assert lines[1].startswith("  #") and "points gate" in lines[1] and "passed=True" in lines[1]
    data = json.loads(runner.invoke(app, ["events", "points", "--json"]).output)
    assert [e["kind"] for e in data] == ["retrain", "gate"]
    assert data[1]["cause_id"] == data[0]["id"]


def test_bad_flags_are_usage_errors(project: Project) -> None:
    project()
    bad_mode = runner.invoke(app, ["retrain", "points", "--mode", "refti"])
    assert bad_mode.exit_code == 2 and "--mode takes refit or search" in bad_mode.output
    bad_trials = runner.invoke(app, ["retrain", "points", "--trials", "3"])
    assert bad_trials.exit_code == 2 and "--trials needs --mode search" in bad_trials.output


def test_an_unknown_gate_key_fails_the_project(project: Project) -> None:
    project("\n[tool.hyperflow.gate]\nmin_improvment = 0.5\n")
    result = runner.invoke(app, ["run"])
    assert result.exit_code != 0
    assert "did you mean 'min_improvement'" in str(result.exception) + result.output
