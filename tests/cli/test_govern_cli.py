"""``hyperflow models card``, ``hyperflow audit`` and ``hyperflow predictions`` (issue 22)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hyperflow.cli import app

runner = CliRunner()


def _project(tmp_path: Path, extra: str = "") -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.hyperflow]\n"
        'name = "demo"\n'
        'train = "tests.registry.models:train"\n'
        'predict = "tests.registry.models:predict"\n'
        'objective = "f1"\n' + extra,
        encoding="utf-8",
    )


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def _registered(tmp_path: Path) -> None:
    _project(tmp_path)
    run = json.loads(_ok(["run", "--output", "model", "--output", "metrics", "--json"]))
    _ok(["register", "--run", run["run_id"], "--json"])


def test_models_card_markdown_html_and_file(tmp_path: Path) -> None:
    _registered(tmp_path)
    from hyperflow import registry

    registry.describe("demo:0.1.0", intended_use="<b>demo</b> only")
    md = _ok(["models", "card", "demo:0.1.0"])
    assert md.startswith("# Model card: demo:0.1.0") and "&lt;b&gt;demo&lt;/b&gt; only" in md
    page = _ok(["models", "card", "demo@latest", "--format", "html"])
    assert page.startswith("<!DOCTYPE html>") and "<b>demo" not in page
    out = tmp_path / "card.html"
    _ok(["models", "card", "demo:0.1.0", "-f", "html", "-o", str(out)])
    assert out.read_text(encoding="utf-8") == page
    bad = runner.invoke(app, ["models", "card", "demo:0.1.0", "--format", "pdf"])
    assert bad.exit_code == 2 and "md or html" in bad.output
    missing = runner.invoke(app, ["models", "card", "demo:9.9.9"])
    assert missing.exit_code == 1 and "versions: 0.1.0" in str(missing.exception)


def test_audit_lists_write_actions(tmp_path: Path) -> None:
    _registered(tmp_path)
    _ok(["promote", "demo", "0.1.0", "--reason", "launch"])
    events = json.loads(_ok(["audit", "--json"]))
    assert [(e["action"], e["target"]) for e in events] == [
        ("model.register", "demo:0.1.0"),
        ("alias.set", "demo@production"),
    ]
    assert events[1]["reason"] == "launch" and events[1]["who"]
    only = json.loads(_ok(["audit", "--action", "alias.", "--json"]))
    assert len(only) == 1
    table = _ok(["audit"])
    assert "alias.set" in table and "demo@production" in table


def test_predictions_export_delete_prune(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime, timedelta

    from hyperflow.store import PredictionRecord, get_prediction_log

    _project(tmp_path, '[tool.hyperflow.predictions]\nfields = {email = "hash"}\n')
    monkeypatch.setenv("HYPERFLOW_LOG_KEY", "k")
    now = datetime.now(UTC)
    get_prediction_log(None).write(
        [
            PredictionRecord("r1", "m", "1.0.0", now, 1.0, '{"email": "a@x", "x": 1}', "1"),
            PredictionRecord("r2", "m", "1.0.0", now - timedelta(days=9), 1.0, '{"x": 2}', "2"),
        ]
    )
    rows = json.loads(_ok(["predictions", "export", "--where", "email=a@x"]))
    assert [r["request_id"] for r in rows] == ["r1"] and rows[0]["inputs"]["email"] != "a@x"
    out = tmp_path / "r2.json"
    _ok(["predictions", "export", "--request-id", "r2", "-o", str(out)])
    assert json.loads(out.read_text(encoding="utf-8"))[0]["output"] == 2
    assert json.loads(_ok(["predictions", "delete", "--request-id", "r1", "--yes", "--json"])) == {
        "deleted": 1
    }
    assert json.loads(_ok(["predictions", "prune", "--max-age", "7d", "--json"])) == {"deleted": 1}
    actions = [e["action"] for e in json.loads(_ok(["audit", "--json"]))]
    assert actions == [
        "predictions.export",
        "predictions.export",
        "predictions.delete",
        "predictions.prune",
    ]
