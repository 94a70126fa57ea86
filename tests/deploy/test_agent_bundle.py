"""``hf.deploy.build_agent`` / ``hyperflow build NAME --agent``: the agent's own bundle.

A tiny scikit-learn project is written into a temporary folder, trained and
registered; its agent bundle is built, the project folder is deleted, and the
bundle's ``hyperflow agent --once`` runs from the bundle alone (hyperflow from the
bundle's wheel) and retrains the model on new data.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import hyperflow as hf
from hyperflow.deploy import AgentBundle, build_agent
from tests.conftest import registries_restored
from tests.deploy.dockerfiles import final_stage

PYPROJECT = """[project]
name = "tiny"
version = "0.0.1"

[tool.hyperflow]
name = "tiny"
train = "tinyflow.train:train"
predict = "tinyflow.serve:predict"
objective = "accuracy"

[tool.hyperflow.inputs]
n = 120

[tool.hyperflow.retrain]
on_new_data = true
inputs = {{ n = 160 }}
"""

TRAIN = """import hyperflow as hf
from sklearn.linear_model import LogisticRegression

from tinyflow.features import frame


def rows(n: int) -> object:
    return frame(n)


def model(rows: object) -> LogisticRegression:
    return LogisticRegression().fit(rows[["x1", "x2"]], rows["label"])


def metrics(model: LogisticRegression, rows: object) -> dict[str, float]:
    return {"accuracy": float(model.score(rows[["x1", "x2"]], rows["label"]))}


train = hf.Pipeline([rows, model, metrics], name="tiny-train")
"""

FEATURES = """def frame(n: int):
    import numpy as np  # imported where used: still a requirement of the agent
    import pandas as pd

    x = np.random.default_rng(0).normal(size=(n, 2))
    return pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "label": (x.sum(axis=1) > 0).astype(int)})
"""

SERVE = """import hyperflow as hf
from .features import frame  # noqa: F401  (a relative import is followed too)


def prediction(model: object, point: dict[str, float]) -> int:
    import pandas as pd

    return int(model.predict(pd.DataFrame([point]))[0])


predict = hf.Pipeline([prediction], name="tiny-predict")
"""


def _write_project(root: Path) -> None:
    pkg = root / "tinyflow"
    pkg.mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT.format(), encoding="utf-8")
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "train.py").write_text(TRAIN, encoding="utf-8")
    (pkg / "features.py").write_text(FEATURES, encoding="utf-8")
    (pkg / "serve.py").write_text(SERVE, encoding="utf-8")
    (pkg / "rows.csv").write_text("x1,x2\n", encoding="utf-8")  # data: never copied
    (root / "tests").mkdir()
    (root / "tests/__init__.py").write_text("", encoding="utf-8")  # not reached: not copied
    (root / "tests/test_tiny.py").write_text("import tinyflow\n", encoding="utf-8")
    (root / "scratch.py").write_text("import torch\n", encoding="utf-8")  # not reached
    for junk in (".venv/lib", ".git", ".hyperflow/cache", "build/old"):
        (root / junk).mkdir(parents=True)
    (root / ".venv/lib/site.py").write_text("", encoding="utf-8")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path | str]]:
    """A project with model ``tiny`` (production = 0.1.0) in a SQLite store outside it;
    the stores this module opens are closed and forgotten after it."""
    with registries_restored():
        base = tmp_path_factory.mktemp("agent")
        project = base / "project"
        _write_project(project)
        url = f"sqlite:///{base}/store.db"
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(project)
            mp.syspath_prepend(str(project))
            mp.setenv("HYPERFLOW_ARTIFACTS", str(base / "artifacts"))
            mp.setenv("HYPERFLOW_CACHE", "off")
            from tinyflow import serve, train  # type: ignore[import-not-found]

            run = train.train.run(inputs={"n": 120}, outputs=["model", "metrics"], track=url)
            mv = hf.registry.register(
                "tiny", run_id=str(run.run_id), predict=serve.predict, store=url
            )
            hf.registry.set_alias("tiny", "production", mv.version, store=url)
            for name in [m for m in sys.modules if m == "tinyflow" or m.startswith("tinyflow.")]:
                del sys.modules[name]
        yield {"base": base, "project": project, "url": url}


@pytest.fixture(scope="module")
def bundle(tiny: dict[str, Path | str]) -> AgentBundle:
    base = Path(tiny["base"])
    return build_agent("tiny", base / "out/tiny-agent", project=tiny["project"], store=tiny["url"])


def test_bundle_holds_the_config_and_the_code_the_agent_reaches_and_nothing_else(
    bundle: AgentBundle, tiny: dict[str, Path | str]
) -> None:
    root = bundle.path
    assert bundle.modules == ["tinyflow", "tinyflow.features", "tinyflow.serve", "tinyflow.train"]
    assert (root / "pyproject.toml").read_text() == (Path(tiny["project"]) / "pyproject.toml").read_text()
    copied = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    project_files = [p for p in copied if p.startswith(("tinyflow", "pyproject"))]
    assert project_files == [
        "pyproject.toml", "tinyflow/__init__.py", "tinyflow/features.py",
        "tinyflow/serve.py", "tinyflow/train.py",
    ]
    for never in ("tests", "scratch.py", ".venv", ".git", ".hyperflow", "build", "tinyflow/rows.csv"):
        assert not (root / never).exists(), never
    (wheel,) = (root / "wheels").glob("hyperflow-*-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "hyperflow = hyperflow.cli:main" in zf.read(entry).decode()
    assert "hyperflow/retrain/_agent.py" in names and not any("__pycache__" in n for n in names)
    assert not [p for p in root.parent.iterdir() if p.name.startswith(".tiny-agent")]


def test_requirements_pin_what_the_training_code_imports_and_hyperflow_core(
    bundle: AgentBundle,
) -> None:
    lines = (bundle.path / "requirements.txt").read_text().splitlines()
    pins = [ln for ln in lines if not ln.startswith("#")]
    assert pins == bundle.requirements and all("==" in p for p in pins)
    names = {p.split("==")[0].split("[")[0] for p in pins}
    # the project's imports (sklearn at module level, numpy/pandas inside a function)
    assert {"scikit-learn", "numpy", "pandas"} <= names
    # hyperflow's core and the retrain extra (cron schedules)
    assert {"sqlalchemy", "alembic", "optuna", "pydantic", "croniter"} <= names
    # not what serving needs, nor what the project does not reach (scratch.py imports torch)
    assert not names & {"fastapi", "uvicorn", "prometheus-client", "torch", "hyperflow"}
    assert bundle.extras == ["retrain"]
    assert any("hyperflow[retrain]" in ln and "wheels/" in ln for ln in lines if ln.startswith("#"))


def test_kubernetes_manifests_validate_offline_and_run_the_agent(bundle: AgentBundle) -> None:
    import kubernetes_validate

    k8s = bundle.path / "k8s"
    deployment = yaml.safe_load((k8s / "deployment.yaml").read_text())
    cronjob = yaml.safe_load((k8s / "cronjob.yaml").read_text())
    for doc in (deployment, cronjob):
        kubernetes_validate.validate(doc, "1.30", strict=True)
    spec = deployment["spec"]
    assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}
    (container,) = spec["template"]["spec"]["containers"]
    assert container["command"] == ["hyperflow", "agent", "--model", "tiny", "--interval", "60s"]
    assert container["resources"]["requests"] and container["resources"]["limits"]
    assert container["securityContext"]["runAsNonRoot"] is True
    secret = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
    assert {r["name"] for r in secret.values()} == {"tiny-agent-secrets"}
    assert all(r["optional"] for r in secret.values())
    assert {"HYPERFLOW_STORE", "HYPERFLOW_ARTIFACTS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(secret)
    assert "livenessProbe" not in container and "readinessProbe" not in container
    job = cronjob["spec"]
    assert job["concurrencyPolicy"] == "Forbid" and job["schedule"] == "*/1 * * * *"
    pod = job["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["command"] == ["hyperflow", "agent", "--once", "--model", "tiny"]
    kustomization = yaml.safe_load((k8s / "kustomization.yaml").read_text())
    assert kustomization["resources"] == ["deployment.yaml"]  # the CronJob is the opt-in
    readme = (bundle.path / "README.md").read_text()
    assert "Two are safe" in readme and "cronjob.yaml" in readme and "No probes" in readme


def test_two_replicas_and_another_interval_reach_the_manifests(
    tiny: dict[str, Path | str], tmp_path: Path
) -> None:
    out = build_agent("tiny", tmp_path / "b", project=tiny["project"], store=tiny["url"],
                      replicas=2, interval="15m", extras=["s3"]).path
    deployment = yaml.safe_load((out / "k8s/deployment.yaml").read_text())
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["template"]["spec"]["containers"][0]["command"][-1] == "15m"
    assert yaml.safe_load((out / "k8s/cronjob.yaml").read_text())["spec"]["schedule"] == "*/15 * * * *"
    names = {p.split("==")[0].split("[")[0] for p in (out / "requirements.txt").read_text().split()}
    assert "s3fs" in names


def test_dockerfile_is_slim_non_root_and_runs_the_agent(bundle: AgentBundle) -> None:
    from dockerfile_parse import DockerfileParser

    parser = DockerfileParser(path=str(bundle.path / "Dockerfile"))
    final = final_stage(bundle.path / "Dockerfile")
    cmd = json.loads(next(i["value"] for i in final if i["instruction"] == "CMD"))
    assert cmd == bundle.command == ["hyperflow", "agent", "--model", "tiny", "--interval", "60s"]
    assert parser.labels["dev.hyperflow.model"] == "tiny"
    copied = {i["value"].split()[-2] for i in final if i["instruction"] == "COPY" and "--from" not in i["value"]}
    assert copied == {"pyproject.toml", "tinyflow"}


def test_an_alias_or_version_is_refused_with_the_reason(tiny: dict[str, Path | str], tmp_path: Path) -> None:
    for ref in ("tiny@production", "tiny:0.1.0"):
        with pytest.raises(hf.DeployError, match=r"takes a model NAME.*every version.*pass 'tiny'"):
            build_agent(ref, tmp_path / "out", project=tiny["project"], store=tiny["url"])
    assert not (tmp_path / "out").exists()


def test_an_unknown_model_gets_did_you_mean(tiny: dict[str, Path | str], tmp_path: Path) -> None:
    with pytest.raises(hf.RegistryError, match=r"no model 'tinny'.*did you mean 'tiny'"):
        build_agent("tinny", tmp_path / "out", project=tiny["project"], store=tiny["url"])
    assert not (tmp_path / "out").exists()


def test_non_empty_out_needs_force_and_outside_a_project_is_an_error(
    tiny: dict[str, Path | str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(hf.DeployError, match=r"is not empty.*--force"):
        build_agent("tiny", out, project=tiny["project"], store=tiny["url"])
    assert (out / "keep.txt").read_text() == "mine"
    with pytest.raises(hf.DeployError, match=r"not inside a hyperflow project"):
        build_agent("tiny", tmp_path / "other", project=tmp_path, store=tiny["url"])
    with pytest.raises(hf.DeployError, match=r"unknown extra\(s\) 'srve'"):
        build_agent("tiny", tmp_path / "other", project=tiny["project"], store=tiny["url"],
                    extras=["srve"])


def test_cli_build_agent_and_its_flag_errors(
    tiny: dict[str, Path | str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from hyperflow.cli import main

    monkeypatch.chdir(tiny["project"])
    monkeypatch.setenv("HYPERFLOW_STORE", str(tiny["url"]))
    out = tmp_path / "agent"
    assert main(["build", "tiny", "--agent", "--out", str(out), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["command"] == "hyperflow agent --model tiny --interval 60s"
    assert (out / "Dockerfile").is_file()
    assert main(["build", "tiny@production", "--agent", "--out", str(tmp_path / "x")]) == 1
    assert "takes a model NAME" in capsys.readouterr().err
    assert main(["build", "tiny@production", "--replicas", "2", "--out", str(tmp_path / "y")]) == 1
    assert "add --agent" in capsys.readouterr().err


# last: it deletes the project folder the module fixture wrote
def test_the_bundle_alone_runs_an_agent_pass_that_retrains_on_new_data(
    bundle: AgentBundle, tiny: dict[str, Path | str]
) -> None:
    base = Path(tiny["base"])
    shutil.rmtree(tiny["project"])  # the bundle must not need the project folder
    site = base / "site"
    (wheel,) = (bundle.path / "wheels").glob("*.whl")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
           "--target", str(site), str(wheel)]
    subprocess.run(pip, check=True, capture_output=True, timeout=120)
    env = {**os.environ, "PYTHONPATH": str(site), "HYPERFLOW_STORE": str(tiny["url"]),
           "HYPERFLOW_ARTIFACTS": str(base / "artifacts"), "HYPERFLOW_CACHE": "off"}
    env.pop("HYPERFLOW_TRUSTED_MODULES", None)
    done = subprocess.run([str(site / "bin/hyperflow"), "agent", "--once",
                           "--model", "tiny", "--json"], cwd=bundle.path, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    (report,) = json.loads(done.stdout)
    assert report["model"] == "tiny" and report["acted"] and not report.get("errors"), report
    assert report["triggers"] and "changed" in report["triggers"][0]
    assert report["decision"]["challenger"] == "0.2.0"  # trained from the bundle's code
    assert hf.registry.get("tiny:0.2.0", store=str(tiny["url"])).version == "0.2.0"
