"""Each router works alone: a bare FastAPI app, the router, and a ``ServeContext``
handed in by overriding the ``get_context`` dependency (no ``create_app``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from hyperflow.registry import StaticSource
from hyperflow.serve import InMemoryPredictionLog
from hyperflow.serve._context import ServeContext, get_context
from hyperflow.serve._routes import (
    admin_router,
    feedback_router,
    guards,
    prediction_router,
    probe_router,
)
from hyperflow.serve._schema import build_models
from hyperflow.serve._service import Service
from tests.serve.conftest import Running
from tests.serve.models import price_predictor


def _alone(
    router_of: Callable[[ServeContext], Any], **options: Any
) -> tuple[FastAPI, ServeContext]:
    service = Service(StaticSource(price_predictor()))
    service.ready = True
    p = service.predictor
    context = ServeContext(
        service=service,
        models=build_models(p.schema, p.name, max_batch_rows=5),
        log=InMemoryPredictionLog(),
        max_batch_rows=5,
        **options,
    )
    app = FastAPI()
    app.include_router(router_of(context))
    app.dependency_overrides[get_context] = lambda: context
    return app, context


def test_prediction_router_alone(serve_app: Callable[[Any], Running]) -> None:
    app, context = _alone(
        lambda c: prediction_router(c.models, guards(c.api_token, None)), api_token="t"
    )
    srv = serve_app(app)
    auth = {"Authorization": "Bearer t"}
    assert srv.client.post("/predict", json={"rooms": 2, "area": 1.0}).status_code == 401
    r = srv.client.post("/predict", json={"rooms": 2, "area": 1.0}, headers=auth)
    assert r.status_code == 200 and r.json()["prediction"] == 21.0
    assert context.issued.known(r.json()["request_id"])
    big = srv.client.post("/predict/batch", json=[{"rooms": 1, "area": 0.0}] * 6, headers=auth)
    assert big.status_code == 413
    assert srv.client.get("/health").status_code == 404  # only this router's routes
    context.service.ready = False
    assert (
        srv.client.post("/predict", json={"rooms": 2, "area": 1.0}, headers=auth).status_code == 503
    )


def test_feedback_router_alone(serve_app: Callable[[Any], Running]) -> None:
    app, context = _alone(lambda c: feedback_router(c.models, []))
    srv = serve_app(app)
    context.issued.add(["abc"])
    assert (
        srv.client.post("/feedback", json={"request_id": "abc", "ground_truth": 1.0}).status_code
        == 202
    )
    assert (
        srv.client.post("/feedback", json={"request_id": "abd", "ground_truth": 1.0}).status_code
        == 404
    )


def test_probe_and_admin_routers_alone(serve_app: Callable[[Any], Running]) -> None:
    app, _ = _alone(lambda _: probe_router())
    srv = serve_app(app)
    assert srv.client.get("/ready").json() == {"status": "ready", "version": "1.0.0"}
    assert srv.client.get("/version").json()["model"] == "house"
    assert "hyperflow_model_info" in srv.client.get("/metrics").text
    admin, _ = _alone(lambda _: admin_router(), admin_token="a")
    srv2 = serve_app(admin)
    assert srv2.client.post("/admin/reload").status_code == 401
    ok = srv2.client.post(
        "/admin/reload", headers={"Authorization": "Bearer a"}, json={"force": True}
    )
    assert ok.status_code == 200 and ok.json()["reloaded"] is True
    bad = srv2.client.post(
        "/admin/reload", headers={"Authorization": "Bearer a"}, json={"force": 1}
    )
    assert bad.status_code == 422
