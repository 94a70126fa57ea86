"""Issue 23, finding 1: tokens hold behind a path prefix (``--root-path``) and in a mounted app.

The gate used to compare ``scope["path"]`` with ``/admin`` and the prediction
routes; behind a prefix the path is ``/api/admin/reload``, so no token was asked
for, and the router then stripped the prefix and ran the handler. Behind a proxy
(``root_path``) the client's ``/api/x`` reaches uvicorn as ``/x``; a mounted app
is reached at ``/api/x`` directly.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.routing import Mount

from hyperflow.serve import create_app
from tests.serve.conftest import Running, servers
from tests.serve.models import price_predictor

ROW = {"rooms": 1, "area": 0.0}
ADMIN = {"Authorization": "Bearer adm1n"}
API = {"Authorization": "Bearer t0k"}
# path variants that must never reach a handler without a token
SNEAKY = [
    "/predict/",
    "//predict",
    "/PREDICT",
    "/predict%2F",
    "/admin/reload/",
    "/./admin/reload",
    "/admin%2Freload",
    "/admin/reload?x=/health",
]


@pytest.fixture
def serve_app() -> Iterator[Callable[..., Running]]:
    with servers() as start:
        yield start


def _app() -> Any:
    return create_app(
        price_predictor(), admin_token="adm1n", api_token="t0k", poll_interval_s=None
    )


def _mounted(child: Any) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with child.router.lifespan_context(child):  # a mounted app's lifespan
            yield

    return FastAPI(lifespan=lifespan, routes=[Mount("/api", app=child)])


@pytest.fixture(params=["root_path", "mounted"])
def prefixed(
    request: pytest.FixtureRequest, serve_app: Callable[..., Running]
) -> tuple[Running, str]:
    """A server and the prefix its clients put before the routes."""
    if request.param == "root_path":  # uvicorn --root-path /api: a proxy strips /api
        return serve_app(_app(), root_path="/api"), ""
    return serve_app(_mounted(_app())), "/api"


def test_admin_token_is_asked_for_behind_a_prefix(prefixed: tuple[Running, str]) -> None:
    srv, pre = prefixed
    no_token = srv.client.post(f"{pre}/admin/reload")
    assert no_token.status_code == 401, no_token.text
    wrong = srv.client.post(f"{pre}/admin/reload", headers=API)  # the API token is not admin
    assert wrong.status_code == 401
    ok = srv.client.post(f"{pre}/admin/reload", headers=ADMIN)
    assert ok.status_code == 200 and ok.json()["reloaded"] is False


def test_api_token_is_asked_for_behind_a_prefix(prefixed: tuple[Running, str]) -> None:
    srv, pre = prefixed
    for path, body in ((f"{pre}/predict", ROW), (f"{pre}/predict/batch", [ROW])):
        r = srv.client.post(path, json=body)
        assert r.status_code == 401, (path, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
    fb = srv.client.post(f"{pre}/feedback", json={"request_id": "x" * 32, "ground_truth": 1.0})
    assert fb.status_code == 401
    ok = srv.client.post(f"{pre}/predict", json=ROW, headers=API)
    assert ok.status_code == 200 and ok.json()["prediction"] == 10.0
    assert srv.client.get(f"{pre}/health").status_code == 200  # probes stay open


def test_no_path_variant_reaches_a_handler_without_a_token(
    prefixed: tuple[Running, str],
) -> None:
    srv, pre = prefixed
    for path in SNEAKY:
        r = srv.client.post(pre + path, json=ROW, follow_redirects=True)
        assert r.status_code in (401, 404, 405), (path, r.status_code, r.text)
    metrics = srv.client.get(f"{pre}/metrics").text
    assert 'hyperflow_predictions_total{prediction="_all"}' not in metrics  # nothing predicted


def test_tokens_hold_without_a_prefix_too(serve_app: Callable[..., Running]) -> None:
    srv = serve_app(_app())
    assert srv.client.post("/admin/reload").status_code == 401
    assert srv.client.post("/predict", json=ROW).status_code == 401
    for path in SNEAKY:
        r = srv.client.post(path, json=ROW, follow_redirects=True)
        assert r.status_code in (401, 404, 405), (path, r.status_code)
    assert srv.client.post("/predict", json=ROW, headers=API).status_code == 200
