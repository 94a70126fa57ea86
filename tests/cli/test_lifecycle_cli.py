"""runs / register / models / promote / rollback / cache through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hyperflow.cli import app

runner = CliRunner()


def _project(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.hyperflow]\n"
        'name = "demo"\n'
        'train = "tests.registry.models:train"\n'
        'predict = "tests.registry.models:predict"\n'
        'objective = "f1"\n',
        encoding="utf-8",
    )


def _json(args: list[str]) -> object:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_run_then_runs_list_show_compare(tmp_path: Path) -> None:
    _project(tmp_path)
    first = _json(["run", "--set", "model.scale=2.0"])
    second = _json(["run", "--set", "model.scale=3.0"])
    listed = _json(["runs", "list", "--order-by", "-metrics.f1"])
    assert [r["run_id"] for r in listed] == [second["run_id"], first["run_id"]]
    shown = _json(["runs", "show", first["run_id"]])
    assert shown["config"] == {"model.scale": 2.0} and shown["metrics"]["f1"] == 0.5
    assert set(shown["code_versions"]) == {"data", "model", "metrics"}
    compared = _json(["runs", "compare", first["run_id"], second["run_id"]])
    assert len(compared) >= 2
    result = runner.invoke(app, ["runs", "list"])
    assert (
        result.exit_code == 0 and "runs" in result.output and first["run_id"][:8] in result.output
    )


def test_register_promote_rollback_models(tmp_path: Path) -> None:
    _project(tmp_path)
    runs = [
        _json(["run", "--set", f"model.scale={s}", "--output", "model", "--output", "metrics"])
        for s in (1.0, 2.0)
    ]
    v1 = _json(["register", "--run", runs[0]["run_id"]])
    v2 = _json(["register", "--run", runs[1]["run_id"], "--bump", "major"])
    assert (v1["version"], v2["version"]) == ("0.1.0", "1.0.0")
    assert _json(["promote", "demo", "0.1.0"])["to"] == "0.1.0"
    assert _json(["promote", "demo", "1.0.0", "--reason", "better"])["from"] == "0.1.0"
    models = _json(["models", "list"])
    assert models == [
        {
            "name": "demo",
            "versions": 2,
            "latest": "1.0.0",
            "aliases": {"production": "1.0.0", "latest": "1.0.0"},
        }
    ]
    assert _json(["rollback", "demo"])["to"] == "0.1.0"
    shown = _json(["models", "show", "demo@production"])
    assert shown["version"] == "0.1.0" and shown["config"] == {"model.scale": 1.0}
    versions = _json(["models", "show", "demo"])
    assert [v["version"] for v in versions] == ["1.0.0", "0.1.0"]
    bad = runner.invoke(app, ["promote", "demo", "9.9.9"])
    assert bad.exit_code != 0


def test_cache_info_and_clear(tmp_path: Path) -> None:
    _project(tmp_path)
    _json(["run"])
    info = _json(["cache", "info"])
    assert info["enabled"] and info["bytes"] > 0
    assert Path(info["path"]).is_relative_to(tmp_path)
    refused = runner.invoke(app, ["cache", "clear"], input="n\n")
    assert refused.exit_code == 1 and "delete every cached value" in refused.output
    assert _json(["cache", "info"])["bytes"] > 0  # asked, refused: nothing deleted
    assert runner.invoke(app, ["cache", "clear"], input="y\n").exit_code == 0
    assert _json(["cache", "info"])["bytes"] == 0
    _json(["run", "--set", "model.scale=2.5"])
    assert runner.invoke(app, ["cache", "clear", "--yes"]).exit_code == 0
    assert _json(["cache", "info"])["bytes"] == 0
