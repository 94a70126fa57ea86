"""Serving ``name@alias`` from the registry: a rollback of the alias is picked up live,
``/admin/reload`` applies a move at once, and a tampered artifact is never served."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import hyperflow as hf
from hyperflow.serve import create_app
from tests.serve.conftest import Running
from tests.serve.models import house_predict

ADMIN = {"Authorization": "Bearer s3cret"}
ROW = {"rooms": 1, "area": 0.0}


def _register(coef: float) -> str:
    with hf.start_run("fit-house") as run:
        run.log_artifact(coef, "coef")
    mv = hf.registry.register("house", run_id=run.id, predict=house_predict, artifacts=["coef"])
    return str(mv.version)


def _blobs() -> set[Path]:
    return {p for p in Path(".hyperflow/artifacts").rglob("*") if p.is_file()}


def test_serves_name_at_alias_and_follows_a_rollback(serve_app: Callable[[Any], Running]) -> None:
    v1, v2 = _register(10.0), _register(100.0)
    hf.registry.set_alias("house", "production", v1)
    hf.registry.set_alias("house", "production", v2)
    srv = serve_app(hf.serve.create_app("house@production", poll_interval_s=0.05))
    first = srv.client.post("/predict", json=ROW).json()
    assert (first["version"], first["prediction"]) == (v2, 100.0)
    info = srv.client.get("/version").json()
    assert info["alias"] == "production" and info["code_version"]
    hf.registry.rollback("house", "production")
    deadline = time.monotonic() + 30
    while srv.client.get("/version").json()["version"] != v1:
        assert time.monotonic() < deadline, "the rollback was not picked up"
        time.sleep(0.02)
    after = srv.client.post("/predict", json=ROW).json()
    assert (after["version"], after["prediction"]) == (v1, 10.0)
    srv.stop()
    logged = hf.predictions.search("house")
    assert list(logged["version"]) == [v2, v1]


def test_admin_reload_against_the_registry_and_a_tampered_artifact(
    serve_app: Callable[[Any], Running], logs: pytest.LogCaptureFixture
) -> None:
    v1 = _register(10.0)
    hf.registry.set_alias("house", "production", v1)
    srv = serve_app(create_app("house@production", poll_interval_s=None, admin_token="s3cret"))
    before = _blobs()
    v2 = _register(100.0)
    [blob] = _blobs() - before  # v2's artifact bytes, on disk
    os.chmod(blob, 0o600)
    blob.write_bytes(blob.read_bytes().replace(b"100", b"999"))  # really tampered
    hf.registry.set_alias("house", "production", v2)
    r = srv.client.post("/admin/reload", headers=ADMIN)
    assert r.status_code == 409, r.text
    assert f"still serving {v1}" in r.json()["detail"]
    served = srv.client.post("/predict", json=ROW).json()
    assert (served["version"], served["prediction"]) == (v1, 10.0)  # never 999
    metrics = srv.client.get("/metrics").text
    assert 'hyperflow_model_reloads_total{outcome="failed"} 1.0' in metrics
    assert [m for m in logs.messages if "failed; still serving" in m and v1 in m]
    # a good version is picked up by the same route
    v3 = _register(1000.0)
    hf.registry.set_alias("house", "production", v3)
    ok = srv.client.post("/admin/reload", headers=ADMIN)
    assert ok.status_code == 200 and ok.json()["version"] == v3
    assert srv.client.post("/predict", json=ROW).json()["prediction"] == 1000.0
    assert f"reloaded house: {v1} -> {v3}" in logs.text


def test_unknown_reference_fails_at_creation() -> None:
    with pytest.raises(hf.HyperflowError, match="nobody"):
        create_app("nobody@production")
