"""Issue 14.4: the command line behaves as typer/click users expect, through the real entry
point (`hyperflow.cli.main`, what the console script calls)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hyperflow.cli import main
from hyperflow.cli._common import human_bytes, human_seconds, short_ids, to_jsonable


def _out(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    captured = capsys.readouterr()
    return captured.out, captured.err


@pytest.mark.parametrize("args", [[], ["runs"], ["models"], ["cache"], ["alias"]])
def test_bare_command_and_groups_print_help_and_exit_0(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 0
    out, err = _out(capsys)
    assert "Usage: hyperflow" in out and "Commands" in out and "error" not in err


def test_usage_errors_exit_2_naming_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["optimize", "--trials", "abc"]) == 2
    _, err = _out(capsys)
    assert "'--trials'" in err and "Try 'hyperflow optimize --help'" in err
    assert main(["runs", "show"]) == 2
    assert "Missing argument" in _out(capsys)[1]
    assert main(["run", "--input", "noequals"]) == 2
    _, err = _out(capsys)
    assert "'--input'" in err and "KEY=VALUE" in err and "Try 'hyperflow run --help'" in err
    assert main(["nosuchcommand"]) == 2


def test_flags_are_shown_as_flags(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["--help"], ["optimize", "--help"], ["runs", "list", "--help"]):
        assert main(args) == 0
        out, _ = _out(capsys)
        assert "<bool>" not in out
    assert main(["optimize", "--help"]) == 0
    out, _ = _out(capsys)
    assert "--minimize" in out and "<int>" in out  # values keep their type


def test_human_units_and_plain_json() -> None:
    assert human_seconds(0.000012) == "12 µs" and human_seconds(0.25) == "250 ms"
    assert human_seconds(4.2) == "4.2 s" and human_seconds(75) == "1m 15s"
    assert human_bytes(512) == "512 B" and human_bytes(1536) == "1.5 KiB"
    assert human_bytes(3 * 1024**3) == "3.0 GiB"
    value = {
        "a": np.float32(0.5),
        "b": np.arange(3),
        "c": pd.Series([1, 2]),
        "d": np.int64(7),
        "e": float("nan"),
        "f": pd.DataFrame({"x": [1]}),
    }
    assert to_jsonable(value) == {
        "a": 0.5, "b": [0, 1, 2], "c": [1, 2], "d": 7, "e": None, "f": [{"x": 1}]
    }


def test_short_ids_stay_unique() -> None:
    ids = ["abcdef0123456789aa", "abcdef0123456789bb", "ffff000011112222"]
    short = short_ids(ids)
    assert short[ids[2]] == "ffff00001111"
    assert short[ids[0]] == "abcdef0123456789a" and short[ids[1]] == "abcdef0123456789b"


def _numpy_project(tmp_path: Path) -> None:
    (tmp_path / "npmod.py").write_text(
        "import numpy as np\nimport hyperflow as hf\n\n"
        "def vec(n: int = 3) -> np.ndarray:\n    return np.arange(n) * 0.5\n\n"
        "def total(vec: np.ndarray) -> np.float64:\n    return vec.sum()\n\n"
        "train = hf.Pipeline([vec, total], name='np')\n",
        encoding="utf-8",
    )
    (tmp_path / "hyperflow.toml").write_text('train = "npmod:train"\n', encoding="utf-8")


def test_numpy_outputs_are_json_numbers_and_timings_human(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _numpy_project(tmp_path)
    assert main(["run", "--input", "n=4", "--output", "vec", "--output", "total", "--json"]) == 0
    data = json.loads(_out(capsys)[0])
    assert data["outputs"] == {"vec": [0.0, 0.5, 1.0, 1.5], "total": 3.0}
    assert all(isinstance(v, float) for v in data["timings_s"].values())
    assert main(["run", "--pipeline", "npmod:train"]) == 0
    out, _ = _out(capsys)
    assert "timings" in out and ("µs" in out or "ms" in out) and "array(" not in out


def test_import_failure_names_the_module_and_the_cause(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.py").write_text("raise ValueError('bad column list')\n")
    (tmp_path / "hyperflow.toml").write_text('train = "broken:train"\n')
    assert main(["run"]) == 1
    err = _out(capsys)[1]
    assert err.startswith("error: importing 'broken'") and "ValueError: bad column list" in err
    assert err.count("\n") == 1


def test_errors_do_not_point_to_python_functions(capsys: pytest.CaptureFixture[str]) -> None:
    import hyperflow as hf

    with hf.start_run("one"):
        pass
    assert main(["runs", "show", "0000dead"]) == 1
    err = _out(capsys)[1]
    assert "hyperflow runs list" in err and "hf.runs" not in err


VARIANTS = '''from typing import Annotated

import hyperflow as hf


def dataset(seed: int = 0) -> list[float]:
    return [float(seed + i) for i in range(4)]


@hf.node(output="model", variant="logreg")
def logreg(dataset: list[float], C: Annotated[float, hf.Float(0.1, 10.0)] = 1.0) -> float:
    return C * sum(dataset)


@hf.node(output="model", variant="tree")
def tree(dataset: list[float], max_depth: Annotated[int, hf.Int(1, 8)] = 3) -> float:
    return float(max_depth)


train = hf.Pipeline([dataset, logreg, tree], name="variants")
'''


@pytest.fixture
def variants(tmp_path: Path) -> Path:
    (tmp_path / "varmod.py").write_text(VARIANTS, encoding="utf-8")
    (tmp_path / "hyperflow.toml").write_text('train = "varmod:train"\n', encoding="utf-8")
    return tmp_path


def test_no_silent_acceptance_of_config(
    variants: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--set", "model=logreg", "--set", "model.tree.max_depth=2"]) == 0
    err = _out(capsys)[1]
    assert err.startswith("warning: config key 'model.tree.max_depth' has no effect")
    assert "Traceback" not in err and ".py:" not in err  # one line, no source location
    assert main(["run", "--set", "model=tre"]) == 1
    assert "did you mean 'tree'?" in _out(capsys)[1]
    assert main(["run", "--set", "model=tree", "--set", "model.tree.max_depth=abc"]) == 1
    err = _out(capsys)[1]
    assert "'model.tree.max_depth' expects an int, but got 'abc'" in err
    assert main(["run", "--set", "dataset.seed=3"]) == 2
    err = _out(capsys)[1]
    assert "pass it as --input seed=3" in err and "'--set'" in err and "Python" not in err
    assert main(["run", "--input", "seed=3", "--json"]) == 0
    assert json.loads(_out(capsys)[0])["outputs"]["model"] == 18.0
