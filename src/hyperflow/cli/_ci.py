"""CI/CD files ``hyperflow init`` writes: a GitHub Actions workflow and a GitLab CI pipeline.

Both do the same four things: install the project; run its tests and its
behavioural suites (``tests/behaviour``); on a pull (merge) request, retrain
through the champion/challenger gate without registering anything
(``hyperflow retrain NAME --dry-run``, against the team's store given as the
``HYPERFLOW_STORE``/``HYPERFLOW_ARTIFACTS`` secrets or variables); on a tag, build the
deployable bundle of ``NAME@production`` and keep it as an artifact.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["GITHUB_WORKFLOW", "GITLAB_CI", "write_ci"]

GITHUB_WORKFLOW = ".github/workflows/hyperflow.yml"
GITLAB_CI = ".gitlab-ci.yml"

# The first steps of every GitHub job (checkout, Python, the install step's name), and the
# team's store that the gate and the bundle read; written into _GITHUB where it says so.
_GITHUB_SETUP = """    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
          cache: pip
      - name: Install the project"""
_GITHUB_TEAM_STORE = """    env:
      HYPERFLOW_STORE: ${{ secrets.HYPERFLOW_STORE }}
      HYPERFLOW_ARTIFACTS: ${{ secrets.HYPERFLOW_ARTIFACTS }}"""

_GITHUB = """# Written by `hyperflow init`: tests and behavioural suites on every push and pull
# request, a retrain through the gate (dry run) on pull requests, the bundle on tags.
# The gate and the bundle read the team's store: set the repository secrets
# HYPERFLOW_STORE (e.g. postgresql+psycopg://...) and HYPERFLOW_ARTIFACTS (e.g. s3://...).
name: hyperflow

on:
  push:
    branches: [main]
    tags: ["v*"]
  pull_request:

permissions:
  contents: read

jobs:
  test:
    name: tests and behavioural suites
    runs-on: ubuntu-latest
@@SETUP@@
        run: python -m pip install -e . pytest
      - name: Tests
        run: python -m pytest -q tests --ignore=tests/behaviour
      - name: Behavioural suites
        run: python -m pytest -q tests/behaviour

  retrain-gate:
    name: retrain through the gate (dry run)
    if: github.event_name == 'pull_request'
    needs: test
    runs-on: ubuntu-latest
@@TEAM_STORE@@
@@SETUP@@
        run: python -m pip install -e .
      - name: Retrain and compare with production (registers nothing)
        run: hyperflow retrain @@NAME@@ --dry-run

  bundle:
    name: deployable bundle
    if: startsWith(github.ref, 'refs/tags/')
    needs: test
    runs-on: ubuntu-latest
@@TEAM_STORE@@
@@SETUP@@
        run: python -m pip install -e .
      - name: Build the bundle (Dockerfile, requirements, Kubernetes manifests)
        run: hyperflow build @@NAME@@@production --out build/@@NAME@@
      - uses: actions/upload-artifact@v4
        with:
          name: @@NAME@@-bundle
          path: build/@@NAME@@
""".replace("@@SETUP@@", _GITHUB_SETUP).replace("@@TEAM_STORE@@", _GITHUB_TEAM_STORE)

_GITLAB = """# Written by `hyperflow init`: tests and behavioural suites on every pipeline, a
# retrain through the gate (dry run) on merge requests, the deployable bundle on tags.
# The gate and the bundle read the team's store: set the CI/CD variables
# HYPERFLOW_STORE (e.g. postgresql+psycopg://...) and HYPERFLOW_ARTIFACTS (e.g. s3://...).
workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_TAG
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH

stages: [test, gate, build]

default:
  image: python:3.11-slim
  cache:
    key: pip
    paths: [.cache/pip]
  before_script:
    - python -m pip install -e . pytest

variables:
  PIP_CACHE_DIR: $CI_PROJECT_DIR/.cache/pip

tests:
  stage: test
  rules:
    - when: on_success  # branch, tag and merge request pipelines
  script:
    - python -m pytest -q tests --ignore=tests/behaviour

behavioural-suites:
  stage: test
  rules:
    - when: on_success  # branch, tag and merge request pipelines
  script:
    - python -m pytest -q tests/behaviour

retrain-gate:
  stage: gate
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  script:
    - hyperflow retrain @@NAME@@ --dry-run

bundle:
  stage: build
  rules:
    - if: $CI_COMMIT_TAG
  script:
    - hyperflow build @@NAME@@@production --out build/@@NAME@@
  artifacts:
    name: @@NAME@@-bundle
    paths: [build/@@NAME@@]
"""


def write_ci(target: Path, name: str) -> list[Path]:
    """Write the GitHub Actions workflow and the GitLab CI file for project ``name``."""
    written = []
    for relative, template in ((GITHUB_WORKFLOW, _GITHUB), (GITLAB_CI, _GITLAB)):
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.replace("@@NAME@@", name), encoding="utf-8")
        written.append(path)
    return written
