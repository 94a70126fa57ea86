"""runs / register / models / promote / rollback / cache through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


def _runs(tmp_path: Path, scales: tuple[float, ...] = (1.0, 2.0, 3.0)) -> list[str]:
    _project(tmp_path)
    return [
        str(_json(["run", "--set", f"model.scale={s}", "--output", "model", "--output",
                   "metrics"])["run_id"])
        for s in scales
    ]


def test_runs_list_filters_limits_and_shortens_ids(tmp_path: Path) -> None:
    ids = _runs(tmp_path)
    good = _json(["runs", "list", "--where", "metrics.f1 > 0.4"])
    assert {r["run_id"] for r in good} == set(ids[1:])  # --json: whole ids
    assert len(_json(["runs", "list", "--limit", "1"])) == 1
    assert len(_json(["runs", "list", "--pipeline", "reg-train"])) == 3
    assert _json(["runs", "list", "--pipeline", "nope"]) == []
    table = runner.invoke(app, ["runs", "list"], terminal_width=80)
    assert table.exit_code == 0
    for rid in ids:
        assert rid[:12] in table.output and rid not in table.output  # shortened, uniquely
    assert " ms" in table.output or "µs" in table.output  # durations in human units


def test_where_with_an_unknown_metric_is_an_error(tmp_path: Path) -> None:
    _runs(tmp_path, (1.0,))
    result = runner.invoke(app, ["runs", "list", "--where", "metrics.acc > 0.9"])
    assert result.exit_code == 1 and "f1" in str(result.exception)


def test_every_id_argument_takes_a_unique_prefix(tmp_path: Path) -> None:
    ids = _runs(tmp_path, (1.0, 2.0))
    shown = _json(["runs", "show", ids[0][:8]])
    assert shown["run_id"] == ids[0]
    compared = _json(["runs", "compare", ids[0][:8], ids[1][:8]])
    assert len(compared) >= 2
    mv = _json(["register", "--run", ids[1][:8], "--name", "named", "--version", "2.0.0"])
    assert (mv["name"], mv["version"], mv["run_id"]) == ("named", "2.0.0", ids[1])


def test_runs_delete_confirms(tmp_path: Path) -> None:
    ids = _runs(tmp_path, (1.0, 2.0))
    refused = runner.invoke(app, ["runs", "delete", ids[0][:10]], input="n\n")
    assert refused.exit_code == 1 and ids[0] in refused.output
    assert len(_json(["runs", "list"])) == 2
    assert runner.invoke(app, ["runs", "delete", ids[0][:10]], input="y\n").exit_code == 0
    assert runner.invoke(app, ["runs", "delete", "--yes", ids[1]]).exit_code == 0
    assert _json(["runs", "list"]) == []


def test_models_archive_delete_and_alias_removal_confirm(tmp_path: Path) -> None:
    ids = _runs(tmp_path, (1.0, 2.0, 3.0))
    for rid in ids:
        _json(["register", "--run", rid])
    assert _json(["promote", "demo", "0.2.0", "--alias", "staging"])["to"] == "0.2.0"
    assert _json(["promote", "demo", "0.3.0", "-a", "staging"])["from"] == "0.2.0"
    assert _json(["rollback", "demo", "--alias", "staging"])["to"] == "0.2.0"
    assert runner.invoke(app, ["alias", "rm", "demo", "staging"], input="n\n").exit_code == 1
    assert _json(["models", "show", "demo@staging"])["version"] == "0.2.0"
    removed = runner.invoke(app, ["alias", "rm", "demo", "staging", "--yes"])
    assert removed.exit_code == 0, removed.output
    assert runner.invoke(app, ["models", "show", "demo@staging"]).exit_code == 1
    assert runner.invoke(app, ["models", "archive", "demo", "0.1.0"], input="n\n").exit_code == 1
    assert runner.invoke(app, ["models", "archive", "demo", "0.1.0", "-y"]).exit_code == 0
    statuses = {v["version"]: v["status"] for v in _json(["models", "show", "demo"])}  # type: ignore[union-attr]
    assert statuses["0.1.0"] == "archived"
    assert runner.invoke(app, ["models", "delete", "demo", "0.2.0"], input="n\n").exit_code == 1
    assert runner.invoke(app, ["models", "delete", "demo", "0.2.0", "--yes"]).exit_code == 0


def test_models_show_of_an_unknown_model_names_the_known(tmp_path: Path) -> None:
    ids = _runs(tmp_path, (1.0,))
    _json(["register", "--run", ids[0]])
    for args in (["models", "show", "dmeo"], ["promote", "dmeo", "0.1.0"], ["rollback", "x"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1
        assert "registered: demo" in str(result.exception), args
    assert "did you mean 'demo'?" in str(runner.invoke(app, ["models", "show", "dmeo"]).exception)


def test_register_says_when_it_recomputed_an_artifact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hyperflow.cli import main

    _project(tmp_path)
    assert main(["run", "--output", "metrics", "--json"]) == 0  # the model is not kept
    rid = json.loads(capsys.readouterr().out)["run_id"]
    assert main(["register", "--run", rid[:8]]) == 0
    err = capsys.readouterr().err
    assert err.startswith("warning: ") and "recomputed" in err and "Traceback" not in err
