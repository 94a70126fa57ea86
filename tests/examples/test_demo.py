"""`make demo` as a reader runs it: the weather project in its own folder, end to end."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_demo_runs_end_to_end_in_a_copy_of_the_project(tmp_path: Path) -> None:
    project = tmp_path / "weather"
    shutil.copytree(ROOT / "examples", project / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERFLOW_")}
    env.update(PYTHONPATH=str(ROOT / "src"))  # the 30 trials `make demo` runs, as a reader
    done = subprocess.run(
        [sys.executable, "-m", "examples.weather"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "registered weather:0.1.0" in out
    assert "requests served" in out and "730" in out
    # the loop closed with no hand step: alert -> retrain -> gate -> canary -> promotion
    for step in ("alert", "trigger", "retrain", "gate", "rollout.start", "promote"):
        assert re.search(rf"#\d+ {re.escape(step)}\b", out), step
    assert "weather@production -> 0.2.0" in out and "done (promoted)" in out
    # the fitted pipeline holds the project's own Featurizer: stored with skops, no pickle
    import sqlite3

    db = sqlite3.connect(project / ".hyperflow" / "hyperflow.db")
    formats = {f for (f,) in db.execute("select format from hf_artifacts")}
    db.close()
    assert "skops" in formats and not formats & {"joblib", "pickle"}, formats
