"""``hf.deploy.build``: the bundle's files, manifests, Dockerfile, app and bad input."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

import hyperflow as hf
from hyperflow import registry
from hyperflow.deploy import build, bundle_app, read_bundle
from tests.deploy.conftest import register_demo
from tests.deploy.dockerfiles import final_stage
from tests.registry import models

ROW = {"x": 2.0, "group": "a"}


def test_bundle_holds_artifacts_with_sha256_manifest_lineage_and_code(
    registered: str, tmp_path: Path
) -> None:
    bundle = build("demo@production", tmp_path / "out", store=registered)
    root = bundle.path
    info = read_bundle(root)
    mv = registry.get("demo@production", store=registered)
    assert (info["name"], info["version"], info["run_id"]) == ("demo", "0.1.0", mv.run_id)
    assert info["predict_ref"] == "tests.registry.models:predict"
    assert info["lineage"] == json.loads(json.dumps(mv.lineage, default=str))
    meta = info["artifacts"]["model"]
    data = (root / meta["path"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == meta["sha256"]
    assert (root / "artifacts/SHA256SUMS").read_text() == f"{meta['sha256']}  model.json\n"
    assert bundle.modules == ["tests", "tests.registry", "tests.registry.models"]
    copied = (root / "app/tests/registry/models.py").read_text()
    assert copied == Path(models.__file__).read_text()
    assert (root / "app/hyperflow/__init__.py").is_file()
    assert (root / "app/hyperflow_bundle.py").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no temp left


def test_requirements_are_pinned_and_hold_only_what_the_predict_pipeline_needs(
    registered: str, tmp_path: Path
) -> None:
    bundle = build("demo@production", tmp_path / "out", store=registered)
    lines = (bundle.path / "requirements.txt").read_text().splitlines()
    pins = [ln for ln in lines if not ln.startswith("#")]
    assert pins == bundle.requirements and all("==" in p for p in pins)
    names = {p.split("==")[0].split("[")[0] for p in pins}
    assert {"fastapi", "uvicorn", "prometheus-client", "pydantic", "starlette"} <= names
    # the tiny model is plain Python: none of hyperflow's heavy core dependencies comes along
    assert not names & {"numpy", "pandas", "pyarrow", "scipy", "optuna", "scikit-learn"}


def test_a_model_from_a_postgresql_store_brings_the_driver(
    registered: str, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def driver(requirements: list[str]) -> list[str]:
        return [r for r in requirements if r.startswith("psycopg[binary]==")]

    register_demo(postgres_url)
    assert driver(build("demo@production", tmp_path / "pg", store=postgres_url).requirements)
    monkeypatch.setenv("HYPERFLOW_STORE", postgres_url)  # no store given: the one in use
    assert driver(build("demo@production", tmp_path / "env").requirements)
    assert not driver(build("demo@production", tmp_path / "lite", store=registered).requirements)


def test_kubernetes_manifests_validate_against_the_schemas_offline(
    registered: str, tmp_path: Path
) -> None:
    import kubernetes_validate

    root = build("demo@production", tmp_path / "out", store=registered).path
    kinds = {}
    for path in sorted((root / "k8s").glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        doc = yaml.safe_load(path.read_text())
        kubernetes_validate.validate(doc, "1.30", strict=True)
        kinds[doc["kind"]] = doc
    assert set(kinds) == {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    pod = kinds["Deployment"]["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["resources"]["requests"] and container["resources"]["limits"]
    assert pod["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    secrets = {e["name"]: e["valueFrom"]["secretKeyRef"]["key"] for e in container["env"]}
    assert secrets == {
        "HYPERFLOW_STORE": "store-url",
        "HYPERFLOW_API_TOKEN": "api-token",
        "HYPERFLOW_ADMIN_TOKEN": "admin-token",
    }
    kustomization = yaml.safe_load((root / "k8s/kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == ["deployment.yaml", "hpa.yaml", "pdb.yaml", "service.yaml"]


def test_a_broken_manifest_is_caught_by_the_validator() -> None:
    import kubernetes_validate

    bad = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
           "spec": {"ports": [{"port": "eighty"}]}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, "1.30", strict=True)


def test_dockerfile_is_multi_stage_slim_non_root_with_healthcheck_and_labels(
    registered: str, tmp_path: Path
) -> None:
    from dockerfile_parse import DockerfileParser

    bundle = build("demo@production", tmp_path / "out", store=registered)
    parser = DockerfileParser(path=str(bundle.path / "Dockerfile"))
    final = final_stage(bundle.path / "Dockerfile")
    health = [i["value"] for i in final if i["instruction"] == "HEALTHCHECK"]
    assert len(health) == 1 and "/ready" in health[0]
    labels = parser.labels
    assert labels["org.opencontainers.image.version"] == "0.1.0"
    assert labels["dev.hyperflow.run-id"] == bundle.run_id
    cmd = json.loads(next(i["value"] for i in final if i["instruction"] == "CMD"))
    assert cmd == bundle.command


def test_bundle_app_serves_the_registered_predictions_and_refuses_tampered_artifacts(
    registered: str, tmp_path: Path
) -> None:
    root = build("demo@production", tmp_path / "out", store=registered).path
    expected = registry.load("demo@production", store=registered)(ROW)
    with TestClient(bundle_app(root)) as client:
        assert client.get("/ready").status_code == 200
        body = client.post("/predict", json=ROW).json()
    assert body["prediction"] == expected and body["version"] == "0.1.0"
    meta = read_bundle(root)["artifacts"]["model"]
    (root / meta["path"]).write_bytes(b'{"slope": 100.0, "offset": 0.0}')
    with pytest.raises(hf.DeployError, match="does not match its manifest"):
        bundle_app(root)


def test_monitoring_files_are_written(registered: str, tmp_path: Path) -> None:
    root = build("demo@production", tmp_path / "out", store=registered).path
    dashboard = json.loads((root / "monitoring/grafana-dashboard.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    assert "hyperflow_requests_total" in exprs and "process_cpu_seconds_total" in exprs
    rules = yaml.safe_load((root / "monitoring/prometheus-rules.yaml").read_text())
    alerts = {r["alert"] for r in rules["groups"][0]["rules"]}
    assert alerts == {"demo-error-rate", "demo-latency-p99", "demo-log-dropped", "demo-drift-share"}


def test_unknown_alias_is_a_clear_error_and_writes_nothing(registered: str, tmp_path: Path) -> None:
    with pytest.raises(hf.RegistryError, match=r"no alias 'prod'.*aliases: production"):
        build("demo@prod", tmp_path / "out", store=registered)
    assert not (tmp_path / "out").exists()


def test_non_empty_out_needs_force_and_force_replaces_it(registered: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(hf.DeployError, match=r"is not empty.*--force"):
        build("demo@production", out, store=registered)
    assert (out / "keep.txt").read_text() == "mine"
    build("demo:0.2.0", out, force=True, store=registered)
    assert not (out / "keep.txt").exists() and read_bundle(out)["version"] == "0.2.0"


def test_unimportable_predict_module_is_a_clear_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    code = tmp_path / "code"
    code.mkdir()
    (code / "fragile.py").write_text(
        "import hyperflow as hf\nfrom tests.registry.models import prediction\n"
        "predict = hf.Pipeline([prediction], name='fragile')\n"
    )
    monkeypatch.syspath_prepend(str(code))
    monkeypatch.setenv("HYPERFLOW_TRUSTED_MODULES", "tests,fragile")
    url = f"sqlite:///{tmp_path}/hyperflow.db"
    run = models.train.run(outputs=["model", "metrics"], track=url)
    registry.register("fragile", run_id=str(run.run_id), predict="fragile:predict", store=url)
    (code / "fragile.py").write_text("import no_such_module_anywhere\n")
    monkeypatch.delitem(sys.modules, "fragile")
    with pytest.raises(hf.DeployError, match=r"does not import.*no_such_module_anywhere"):
        build("fragile@latest", tmp_path / "out", store=url)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".out", "out"))]


def test_cli_build_writes_the_bundle_and_refuses_a_non_empty_folder(
    registered: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hyperflow.cli import main

    monkeypatch.setenv("HYPERFLOW_STORE", registered)
    out = tmp_path / "bundle"
    assert main(["build", "demo@production", "--out", str(out), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["version"] == "0.1.0" and shown["path"] == str(out)
    assert main(["build", "demo@production", "--out", str(out)]) == 1
    assert "is not empty" in capsys.readouterr().err
    assert main(["build", "demo:0.2.0", "--out", str(out), "--force"]) == 0
    assert read_bundle(out)["version"] == "0.2.0"
