"""`hyperflow optimize` and its flags through the real entry point (issue 14.3, 14.4, 14.6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hyperflow.cli import main

PIPE = '''from typing import Annotated

import hyperflow as hf


def data(n: int = 4) -> list[float]:
    return [float(i) for i in range(n)]


def metrics(data: list[float], k: Annotated[int, hf.Int(0, 3)] = 1) -> dict[str, float]:
    if k == 0:
        raise ValueError("k must be positive")
    return {"loss": k * sum(data), "latency_ms": 1.0}


train = hf.Pipeline([data, metrics], name="{name}")
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "optproj.py").write_text(PIPE.replace("{name}", "opt"), encoding="utf-8")
    (tmp_path / "other.py").write_text(PIPE.replace("{name}", "other"), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hyperflow]\nname = "p"\ntrain = "optproj:train"\nobjective = "loss"\n'
        "[tool.hyperflow.optimize]\ntrials = 4\nseed = 0\n",
        encoding="utf-8",
    )
    return tmp_path


def _optimize(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    code = main(["optimize", *args, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data: dict[str, object] = json.loads(out)
    return data


def test_objective_minimize_sampler_study_input(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _optimize(
        ["--objective", "loss", "--minimize", "--sampler", "grid", "--study", "s1",
         "--input", "n=3"],
        capsys,
    )
    assert data["study"] == "s1" and data["trials"] == 4
    assert (data["complete"], data["failed"]) == (3, 1)  # k=0 raised: counted, not hidden
    assert data["best_value"] == 3.0 and data["best_config"] == {"metrics.k": 1}
    assert any("k must be positive" in e for e in data["errors"])  # type: ignore[union-attr]


def test_minimize_without_objective_minimizes_the_projects(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _optimize(["--minimize", "--sampler", "grid", "--study", "s2"], capsys)
    assert data["best_value"] == 6.0  # k=1 of 1..3 (maximizing would give 18.0)
    data = _optimize(["--sampler", "grid", "--study", "s2max"], capsys)
    assert data["best_value"] == 18.0


def test_trials_on_an_existing_study_means_that_many_more(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _optimize(["--trials", "2", "--study", "s3", "--sampler", "random"], capsys)
    assert first["trials"] == 2 and "note" not in first
    again = _optimize(["-n", "2", "--study", "s3", "--sampler", "random", "--seed", "1"], capsys)
    assert again["trials"] == 4 and again["new_trials"] == 2
    assert "existed with 2 trial(s)" in str(again["note"])
    assert main(["optimize", "-n", "1", "--study", "s3"]) == 0
    assert "ran that many more" in capsys.readouterr().out


def test_pipeline_flag(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _optimize(["--pipeline", "other:train", "-n", "2", "--study", "s4"], capsys)
    assert data["trials"] == 2
    assert main(["runs", "list", "--pipeline", "other", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2


@pytest.mark.slow
def test_jobs_runs_trials_in_processes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _optimize(["--jobs", "2", "-n", "2", "--sampler", "random", "--study", "s5"], capsys)
    assert data["trials"] == 2 and data["new_trials"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--constraint", "loss >= 1000"], "satisfied the constraints 'loss >= 1000'"),
        (["-c", "latncy <= 5"], "did you mean 'latency_ms'?"),
        (["--objective", "los"], "available metrics: latency_ms, loss"),
    ],
)
def test_impossible_or_unknown_metric_exits_non_zero(
    args: list[str], message: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["optimize", "-n", "2", "--sampler", "random", "--study", "bad", *args]) == 1
    err = capsys.readouterr().err
    assert "error: " in err and message in err, err


def test_no_objective_anywhere_says_how(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "optproj.py").write_text(PIPE.replace("{name}", "opt"), encoding="utf-8")
    (tmp_path / "hyperflow.toml").write_text('train = "optproj:train"\n', encoding="utf-8")
    assert main(["optimize", "-n", "1"]) == 1
    assert "pass --objective" in capsys.readouterr().err


def test_summary_shows_parameter_importance(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _optimize(["--objective", "loss", "--minimize", "--sampler", "grid"], capsys)
    assert data["importance"] == {"metrics.k": 1.0}  # the only searched knob explains it all
