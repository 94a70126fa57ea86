"""Issue 14.1-14.3 through the real entry point: the project is found from any folder, a
folder without one creates nothing on reads, and project-config mistakes are named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import hyperflow as hf
from hyperflow.cli import main

PIPE = (
    "import hyperflow as hf\n\n"
    "def data(n: int = 4) -> list[float]:\n    return [float(i) for i in range(n)]\n\n"
    "def metrics(data: list[float]) -> dict[str, float]:\n"
    "    return {'mean': sum(data) / len(data)}\n\n"
    "train = hf.Pipeline([data, metrics], name='tiny')\n"
)


def _project(root: Path, extra: str = "") -> None:
    (root / "tinyproj.py").write_text(PIPE, encoding="utf-8")
    (root / "pyproject.toml").write_text(
        f'[tool.hyperflow]\nname = "tiny"\ntrain = "tinyproj:train"\nobjective = "mean"\n{extra}',
        encoding="utf-8",
    )


def test_every_command_works_from_a_sub_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path)
    deep = tmp_path / "notebooks" / "deep"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert main(["run", "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    assert (tmp_path / ".hyperflow" / "hyperflow.db").exists()  # at the root, not here
    assert not (deep / ".hyperflow").exists()
    assert main(["runs", "show", run_id[:10], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["run_id"] == run_id
    assert main(["viz", "--format", "mermaid"]) == 0
    assert "flowchart" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [["runs", "list"], ["runs", "list", "--json"], ["models", "list"], ["cache", "info"]],
)
def test_read_commands_outside_a_project_create_nothing(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 0
    out, err = capsys.readouterr()
    if args[:2] != ["cache", "info"]:
        assert "no hyperflow project found" in err and "nothing was recorded" in err
    if "--json" in args:
        assert json.loads(out) == []
    assert list(tmp_path.iterdir()) == []  # no .hyperflow/, no database


def test_show_commands_outside_a_project_say_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["runs", "show", "abc"]) == 1
    assert main(["models", "show", "weather"]) == 1
    err = capsys.readouterr().err
    assert "no store here" in err and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("trails = 3\n", "unknown key 'trails' in [tool.hyperflow] of"),
        ("[tool.hyperflow.optimize]\ntrails = 3\n", "did you mean 'trials'?"),
        ('[tool.hyperflow.optimize]\ntrials = "many"\n', "trials ([tool.hyperflow.optimize])"),
        ("constraints = 'x <= 1'\n", "must be a list of strings, but got a string: 'x <= 1'"),
        ('direction = "up"\n', "must be 'maximize' or 'minimize', but got 'up'"),
    ],
)
def test_project_config_mistakes_are_named_with_the_file(
    extra: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path, extra)
    assert main(["optimize", "--trials", "1"]) == 1
    err = capsys.readouterr().err
    assert message in err and str(tmp_path / "pyproject.toml") in err, err
    assert err.count("\n") == 1


def test_wrong_type_names_key_type_and_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path, '[tool.hyperflow.optimize]\ntrials = "many"\n')
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert "must be an integer, but got a string: 'many'" in err


def test_hyperflow_toml_tables_are_checked_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "hyperflow.toml").write_text('nmae = "x"\n[optimize]\nseed = 1.5\n')
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert "unknown key 'nmae' in the top level of" in err and "did you mean 'name'?" in err
    (tmp_path / "hyperflow.toml").write_text("[optimize]\nseed = 1.5\n")
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert "seed ([optimize])" in err and "must be an integer, but got a float: 1.5" in err


def test_register_of_an_untracked_run_says_tracking_was_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.registry import models

    monkeypatch.setenv("HYPERFLOW_TRACKING", "off")
    r = models.train.run(outputs=["model", "metrics"])
    with pytest.raises(hf.RegistryError, match="tracking off") as info:
        hf.registry.register("m", run_id=r.run_id, predict=models.predict)
    assert "track=True" in str(info.value)
