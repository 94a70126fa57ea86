"""`hyperflow init` writes CI for the user's project: a GitHub Actions workflow and a GitLab
CI pipeline, valid against the published schemas (check-jsonschema's vendored copies:
offline), that install, test, run the behavioural suite, retrain through the gate on a
pull request and build the bundle on a tag; the behavioural suite it writes passes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hyperflow.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _validate(path: Path, schema: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    assert main(["init", "irisflow"]) == 0
    return tmp_path / "irisflow"


def test_the_workflows_validate_against_the_published_schemas(project: Path) -> None:
    github = project / ".github" / "workflows" / "hyperflow.yml"
    gitlab = project / ".gitlab-ci.yml"
    for path, schema in ((github, "vendor.github-workflows"), (gitlab, "vendor.gitlab-ci")):
        checked = _validate(path, schema)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    broken = project / "broken.yml"  # the validator does reject a wrong workflow
    broken.write_text(github.read_text().replace("runs-on:", "run-on:"))
    assert _validate(broken, "vendor.github-workflows").returncode != 0


def _runs(job: dict[str, object]) -> list[str]:
    return [str(step.get("run")) for step in job["steps"] if "run" in step]  # type: ignore[attr-defined]


def test_github_tests_on_push_gates_pull_requests_and_bundles_tags(project: Path) -> None:
    workflow = yaml.safe_load((project / ".github/workflows/hyperflow.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"push", "pull_request"} and triggers["push"]["tags"] == ["v*"]
    jobs = workflow["jobs"]
    assert _runs(jobs["test"]) == [
        "python -m pip install -e . pytest",
        "python -m pytest -q tests --ignore=tests/behaviour",
        "python -m pytest -q tests/behaviour",
    ]
    gate = jobs["retrain-gate"]
    assert gate["if"] == "github.event_name == 'pull_request'" and gate["needs"] == "test"
    assert _runs(gate)[-1] == "hyperflow retrain irisflow --dry-run"
    assert gate["env"]["HYPERFLOW_STORE"] == "${{ secrets.HYPERFLOW_STORE }}"
    bundle = jobs["bundle"]
    assert bundle["if"] == "startsWith(github.ref, 'refs/tags/')"
    assert _runs(bundle)[-1] == "hyperflow build irisflow@production --out build/irisflow"
    assert bundle["steps"][-1]["with"]["path"] == "build/irisflow"


def test_gitlab_does_the_same_on_merge_requests_and_tags(project: Path) -> None:
    ci = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    assert ci["stages"] == ["test", "gate", "build"]
    assert ci["default"]["before_script"] == ["python -m pip install -e . pytest"]
    assert ci["tests"]["script"] == ["python -m pytest -q tests --ignore=tests/behaviour"]
    assert ci["behavioural-suites"]["script"] == ["python -m pytest -q tests/behaviour"]
    gate = ci["retrain-gate"]
    assert gate["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert gate["script"] == ["hyperflow retrain irisflow --dry-run"]
    bundle = ci["bundle"]
    assert bundle["rules"] == [{"if": "$CI_COMMIT_TAG"}]
    assert bundle["script"] == ["hyperflow build irisflow@production --out build/irisflow"]
    assert bundle["artifacts"]["paths"] == ["build/irisflow"]


def test_the_build_step_uses_the_real_command_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "--help"]) == 0
    assert "--out" in capsys.readouterr().out


@pytest.mark.slow
def test_the_behavioural_suite_init_writes_passes(project: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(project), str(ROOT / "src")])}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "tests/behaviour"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout
