"""Serving ``name@alias`` from the registry; a rollback of the alias is picked up live."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import hyperflow as hf
from hyperflow.serve import create_app
from tests.serve.conftest import Running
from tests.serve.models import house_predict


def _register(coef: float) -> str:
    with hf.start_run("fit-house") as run:
        run.log_artifact(coef, "coef")
    mv = hf.registry.register("house", run_id=run.id, predict=house_predict, artifacts=["coef"])
    return str(mv.version)


def test_serves_name_at_alias_and_follows_a_rollback(serve_app: Callable[[Any], Running]) -> None:
    v1, v2 = _register(10.0), _register(100.0)
    hf.registry.set_alias("house", "production", v1)
    hf.registry.set_alias("house", "production", v2)
    srv = serve_app(hf.serve.create_app("house@production", poll_interval_s=0.05))
    first = srv.client.post("/predict", json={"rooms": 1, "area": 0.0}).json()
    assert (first["version"], first["prediction"]) == (v2, 100.0)
    info = srv.client.get("/version").json()
    assert info["alias"] == "production" and info["code_version"]
    hf.registry.rollback("house", "production")
    deadline = time.monotonic() + 20
    while srv.client.get("/version").json()["version"] != v1:
        assert time.monotonic() < deadline, "the rollback was not picked up"
        time.sleep(0.02)
    after = srv.client.post("/predict", json={"rooms": 1, "area": 0.0}).json()
    assert (after["version"], after["prediction"]) == (v1, 10.0)
    srv.stop()
    logged = hf.predictions.search("house")
    assert list(logged["version"]) == [v2, v1]


def test_unknown_reference_fails_at_creation() -> None:
    try:
        create_app("nobody@production")
    except hf.HyperflowError as exc:
        assert "nobody" in str(exc)
    else:
        raise AssertionError("expected an error naming the unknown model")
