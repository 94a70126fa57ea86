from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hyperflow.cli import app, main

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _weather_project(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.hyperflow]\n"
        'name = "weather"\n'
        'train = "examples.weather.pipeline:train"\n'
        'predict = "examples.weather.pipeline:predict"\n'
        'objective = "f1"\n'
        'constraints = ["latency_ms <= 1000"]\n'
        "[tool.hyperflow.optimize]\n"
        "seed = 0\n",
        encoding="utf-8",
    )


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for cmd in ("run", "optimize", "viz", "init"):
        assert cmd in result.output


def test_run_prints_outputs_as_json(tmp_path: Path) -> None:
    _weather_project(tmp_path)
    result = runner.invoke(
        app,
        [
            "run",
            "--set",
            "model=forest",
            "--set",
            "model.forest.max_depth=4",
            "--output",
            "metrics",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["config"]["model"] == "forest" and data["config"]["model.forest.max_depth"] == 4
    assert 0.3 < data["outputs"]["metrics"]["accuracy"] <= 1
    assert set(data["timings_s"]) >= {"raw_data", "split", "model.forest", "metrics"}


def test_errors_are_one_line_with_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _weather_project(tmp_path)
    code = main(["run", "--set", "model.C=3"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: unknown config key 'model.C'") and "did you mean" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    with pytest.raises(Exception, match="unknown config key"):
        main(["--debug", "run", "--set", "model.C=3"])
    assert main(["run", "--set", "oops"]) == 2  # a usage error, as click reports them
    err = capsys.readouterr().err
    assert "KEY=VALUE" in err and "'--set'" in err and "Try 'hyperflow run --help'" in err


def test_no_train_pipeline_configured(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == 1
    assert "no train pipeline configured" in capsys.readouterr().err


def test_viz_mermaid_and_dot(tmp_path: Path) -> None:
    _weather_project(tmp_path)
    result = runner.invoke(app, ["viz", "--set", "model=forest"])
    assert result.exit_code == 0 and result.output.startswith("flowchart LR")
    assert "n_split --> n_model_forest" in result.output
    result = runner.invoke(app, ["viz", "--format", "dot", "--out", "dag.dot"])
    assert result.exit_code == 0 and (tmp_path / "dag.dot").read_text().startswith("digraph")


def test_optimize_from_project_config(tmp_path: Path) -> None:
    _weather_project(tmp_path)
    result = runner.invoke(app, ["optimize", "--trials", "4", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["trials"] == 4 and data["study"] == "weather-weather-train"
    assert 0 < data["best_value"] <= 1 and data["best_metrics"]["latency_ms"] <= 1000


@pytest.mark.slow
def test_init_scaffolds_a_project_that_optimizes_at_once(tmp_path: Path) -> None:
    assert main(["init", "irisflow"]) == 0
    project = tmp_path / "irisflow"
    assert (project / "pyproject.toml").exists()
    proc = subprocess.run(
        [sys.executable, "-m", "hyperflow", "optimize", "--trials", "5", "--json"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["trials"] == 5 and data["best_value"] > 0.8
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert main(["init", "irisflow"]) == 1  # exists: refused


HEAVY = (
    "numpy",
    "pandas",
    "sqlalchemy",
    "optuna",
    "fastapi",
    "sklearn",
    "scipy",
    "pyarrow",
    "alembic",
    "fsspec",
    "dask",
    "pandera",
    "pydantic",
)


@pytest.mark.parametrize(
    "code",
    [
        "import hyperflow",
        "import sys; sys.argv=['hyperflow','--help']; from hyperflow.cli import main; main()",
    ],
)
def test_import_and_help_load_no_heavy_dependency(code: str) -> None:
    """What keeps `import hyperflow` and `hyperflow --help` under 0.3 s (timed in
    benchmarks/bench_cli.py): no heavy dependency is imported until a command needs it."""
    probe = code + "; import sys; print(sorted({m.split('.')[0] for m in sys.modules}))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    loaded = set(out.stdout.strip().splitlines()[-1].strip("[]").replace("'", "").split(", "))
    assert not loaded & set(HEAVY), f"imported eagerly: {sorted(loaded & set(HEAVY))}"


@pytest.mark.parametrize(
    ("fmt", "start"), [("svg", "<svg"), ("html", "<div"), ("mermaid", "flowchart"), ("dot", "digraph")]
)
def test_viz_formats_depth_and_out(
    fmt: str, start: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _weather_project(tmp_path)
    assert main(["viz", "--format", fmt, "--depth", "1", "--set", "model=forest"]) == 0
    text = capsys.readouterr().out
    assert text.lstrip().startswith(start), text[:80]
    assert main(["viz", "-f", fmt, "--out", f"dag.{fmt}"]) == 0
    assert (tmp_path / f"dag.{fmt}").read_text().lstrip().startswith(start)
    assert main(["viz", "--format", "png"]) == 2
    assert "'--format'" in capsys.readouterr().err
