"""Micro-batching: concurrent single requests coalesced into fewer pipeline calls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

import hyperflow as hf
from hyperflow.registry import Predictor
from hyperflow.serve import create_app
from tests.serve.conftest import Running
from tests.serve.models import BATCH_CALLS, House, batch_predictor, price_predictor


async def _fire(url: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        return list(await asyncio.gather(*(client.post("/predict", json=b) for b in bodies)))


def test_concurrent_requests_share_pipeline_calls_and_keep_their_own_results(
    serve_app: Callable[[Any], Running],
) -> None:
    BATCH_CALLS.sizes.clear()
    srv = serve_app(create_app(batch_predictor(delay_s=0.05), max_batch_size=16, max_wait_ms=50))
    bodies = [{"rooms": i, "area": 0.5} for i in range(40)]
    responses = asyncio.run(_fire(srv.url, bodies))
    assert [r.status_code for r in responses] == [200] * 40
    assert [r.json()["prediction"] for r in responses] == [i + 0.5 for i in range(40)]
    assert sum(BATCH_CALLS.sizes) == 40
    assert len(BATCH_CALLS.sizes) < 40 / 2  # far fewer calls than requests
    assert max(BATCH_CALLS.sizes) <= 16
    text = srv.client.get("/metrics").text
    assert f"hyperflow_batch_size_count {float(len(BATCH_CALLS.sizes))}" in text


def test_lone_request_waits_at_most_max_wait(serve_app: Callable[[Any], Running]) -> None:
    BATCH_CALLS.sizes.clear()
    srv = serve_app(create_app(batch_predictor(), max_batch_size=64, max_wait_ms=20))
    r = srv.client.post("/predict", json={"rooms": 2, "area": 1.0})
    assert r.json()["prediction"] == 3.0 and BATCH_CALLS.sizes == [1]
    assert r.elapsed.total_seconds() < 1.0


def test_batch_size_one_turns_coalescing_off(serve_app: Callable[[Any], Running]) -> None:
    BATCH_CALLS.sizes.clear()
    srv = serve_app(create_app(batch_predictor(delay_s=0.01), max_batch_size=1))
    responses = asyncio.run(_fire(srv.url, [{"rooms": i, "area": 0.0} for i in range(8)]))
    assert [r.json()["prediction"] for r in responses] == [float(i) for i in range(8)]
    assert BATCH_CALLS.sizes == [1] * 8


def test_batch_endpoint_of_batchable_pipeline_is_one_call(
    serve_app: Callable[[Any], Running],
) -> None:
    BATCH_CALLS.sizes.clear()
    srv = serve_app(create_app(batch_predictor()))
    r = srv.client.post("/predict/batch", json=[{"rooms": i, "area": 0.0} for i in range(10)])
    assert r.json()["predictions"] == [float(i) for i in range(10)]
    assert BATCH_CALLS.sizes == [10]


def test_not_batchable_pipeline_serves_concurrent_requests(
    serve_app: Callable[[Any], Running],
) -> None:
    srv = serve_app(create_app(price_predictor(coef=1.0)))
    assert srv.app.state.hyperflow.batcher is None
    responses = asyncio.run(_fire(srv.url, [{"rooms": i, "area": 0.0} for i in range(20)]))
    assert [r.json()["prediction"] for r in responses] == [float(i) for i in range(20)]


def checked_prices(houses: list[House]) -> list[float]:
    if any(h["area"] < 0 for h in houses):
        raise ValueError("area must be >= 0")
    return [h["area"] for h in houses]


def test_a_row_the_model_rejects_fails_alone(serve_app: Callable[[Any], Running]) -> None:
    predictor = Predictor(hf.Pipeline([checked_prices], name="checked"), {})
    srv = serve_app(create_app(predictor, max_batch_size=8, max_wait_ms=100))
    bodies = [{"rooms": 1, "area": float(a)} for a in (1, 2, -3, 4)]
    responses = asyncio.run(_fire(srv.url, bodies))
    assert [r.status_code for r in responses] == [200, 200, 422, 200]
    assert [r.json().get("prediction") for r in responses] == [1.0, 2.0, None, 4.0]
