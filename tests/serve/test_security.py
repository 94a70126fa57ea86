"""Tokens and request size limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hyperflow.serve import create_app
from hyperflow.serve._guards import token_matches
from tests.serve.conftest import Running
from tests.serve.models import price_predictor


def test_admin_routes_need_the_admin_token_from_the_environment(
    serve_app: Callable[[Any], Running], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPERFLOW_ADMIN_TOKEN", "adm1n")
    srv = serve_app(create_app(price_predictor(), poll_interval_s=None))
    assert srv.client.post("/admin/reload").status_code == 401
    wrong = srv.client.post("/admin/reload", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in wrong.json()["detail"]
    ok = srv.client.post("/admin/reload", headers={"Authorization": "Bearer adm1n"})
    assert ok.status_code == 200
    # prediction routes stay open without an API token
    assert srv.client.post("/predict", json={"rooms": 1, "area": 0}).status_code == 200


def test_admin_routes_are_closed_without_a_configured_token(
    serve_app: Callable[[Any], Running], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HYPERFLOW_ADMIN_TOKEN", raising=False)
    srv = serve_app(create_app(price_predictor(), poll_interval_s=None))
    r = srv.client.post("/admin/reload", headers={"Authorization": "Bearer x"})
    assert r.status_code == 401 and "HYPERFLOW_ADMIN_TOKEN" in r.json()["detail"]


def test_api_token_guards_prediction_routes_only(
    serve_app: Callable[[Any], Running], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPERFLOW_API_TOKEN", "t0k")
    srv = serve_app(create_app(price_predictor()))
    row = {"rooms": 1, "area": 0}
    assert srv.client.post("/predict", json=row).status_code == 401
    assert srv.client.post("/predict/batch", json=[row]).status_code == 401
    assert (
        srv.client.post("/feedback", json={"request_id": "a", "ground_truth": 1}).status_code == 401
    )
    auth = {"Authorization": "Bearer t0k"}
    assert srv.client.post("/predict", json=row, headers=auth).status_code == 200
    assert srv.client.get("/health").status_code == 200  # probes stay open
    assert srv.client.get("/metrics").status_code == 200


def test_token_compare() -> None:
    assert token_matches(b"Bearer abc", "abc")
    assert not token_matches(b"Bearer abd", "abc")
    assert not token_matches(None, "abc")
    assert not token_matches(b"abc", "abc")
    assert token_matches(b"bearer abc", "abc") and token_matches("BEARER abc", "abc")
    assert not token_matches(b"Basic abc", "abc")


def test_body_size_is_limited(serve_app: Callable[[Any], Running]) -> None:
    srv = serve_app(create_app(price_predictor(), max_body_bytes=200))
    rows = [{"rooms": 1, "area": 0.0}] * 20
    r = srv.client.post("/predict/batch", json=rows)
    assert r.status_code == 413 and "exceeds 200 bytes" in r.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: streamed, counted
        yield b"["
        for _ in range(40):
            yield b'{"rooms": 1, "area": 0.0},'
        yield b'{"rooms": 1, "area": 0.0}]'

    streamed = srv.client.post(
        "/predict/batch", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    small = srv.client.post("/predict/batch", json=rows[:2])
    assert small.status_code == 200
    text = srv.client.get("/metrics").text
    assert 'hyperflow_requests_total{method="POST",route="/predict/batch",status="413"} 2.0' in text
