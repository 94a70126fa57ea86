"""Micro-batching: concurrent single requests coalesced into fewer pipeline calls.

Synchronised by events, not by sleeps: a gated pipeline holds its first call
until the test has seen the other requests queue up.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

import hyperflow as hf
from hyperflow.registry import Predictor
from hyperflow.serve import create_app
from tests.serve.conftest import Running
from tests.serve.models import BATCH_CALLS, House, batch_predictor, price_predictor

GATE = threading.Event()


def gated_prices(houses: list[House]) -> list[float]:
    """Batchable; each call waits for ``GATE`` (the test opens it)."""
    BATCH_CALLS.add(len(houses))
    assert GATE.wait(60), "the test never opened the gate"
    return [h["rooms"] + h["area"] for h in houses]


async def _fire(url: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        return list(await asyncio.gather(*(client.post("/predict", json=b) for b in bodies)))


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


def test_concurrent_requests_share_pipeline_calls_and_keep_their_own_results(
    serve_app: Callable[[Any], Running],
) -> None:
    BATCH_CALLS.sizes.clear()
    GATE.clear()
    predictor = Predictor(hf.Pipeline([gated_prices], name="gated"), {})
    srv = serve_app(create_app(predictor, max_batch_size=16, max_wait_ms=50))
    batcher = srv.app.state.hyperflow.batcher
    bodies = [{"rooms": i, "area": 0.5} for i in range(40)]
    result: list[list[httpx.Response]] = []
    t = threading.Thread(target=lambda: result.append(asyncio.run(_fire(srv.url, bodies))))
    t.start()
    try:  # the first call is held; every other request queues behind it
        _wait_for(lambda: bool(BATCH_CALLS.sizes), "no pipeline call started")
        _wait_for(lambda: batcher.pending == 40 - BATCH_CALLS.sizes[0], "requests did not queue")
    finally:
        GATE.set()
        t.join(60)
    [responses] = result
    assert [r.status_code for r in responses] == [200] * 40
    assert [r.json()["prediction"] for r in responses] == [i + 0.5 for i in range(40)]
    assert sum(BATCH_CALLS.sizes) == 40
    # the 40 - first rows that queued go in full batches of 16 at most
    queued = 40 - BATCH_CALLS.sizes[0]
    assert len(BATCH_CALLS.sizes) == 1 + -(-queued // 16)
    assert max(BATCH_CALLS.sizes) <= 16
    text = srv.client.get("/metrics").text
    assert f"hyperflow_batch_size_count {float(len(BATCH_CALLS.sizes))}" in text


def test_lone_request_does_not_wait_for_a_full_batch(serve_app: Callable[[Any], Running]) -> None:
    BATCH_CALLS.sizes.clear()
    srv = serve_app(create_app(batch_predictor(), max_batch_size=64, max_wait_ms=20))
    r = srv.client.post("/predict", json={"rooms": 2, "area": 1.0})  # 63 rows never come
    assert r.json()["prediction"] == 3.0 and BATCH_CALLS.sizes == [1]


def test_batch_size_one_turns_coalescing_off(serve_app: Callable[[Any], Running]) -> None:
    BATCH_CALLS.sizes.clear()
    srv = serve_app(create_app(batch_predictor(), max_batch_size=1))
    assert srv.app.state.hyperflow.batcher is None
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
