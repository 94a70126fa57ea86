"""Hot reload: a moved alias is picked up by polling or at once via POST /admin/reload."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import hyperflow as hf
from hyperflow.registry import Predictor
from hyperflow.serve import create_app
from tests.serve.conftest import Running
from tests.serve.models import Calls, House, MovableSource, label_predictor, price_predictor

ADMIN = {"Authorization": "Bearer s3cret"}


def _two_versions() -> MovableSource:
    return MovableSource(
        {"1.0.0": price_predictor(10.0, "1.0.0"), "1.1.0": price_predictor(100.0, "1.1.0")},
        "1.1.0",
    )


def test_moved_alias_is_picked_up_by_polling(serve_app: Callable[[Any], Running]) -> None:
    source = _two_versions()
    srv = serve_app(create_app(source, poll_interval_s=0.05))
    assert srv.client.post("/predict", json={"rooms": 1, "area": 0}).json()["version"] == "1.1.0"
    source.point_to("1.0.0")  # e.g. a rollback of the alias
    deadline = time.monotonic() + 20
    while srv.client.get("/version").json()["version"] != "1.0.0":
        assert time.monotonic() < deadline, "the moved alias was not picked up"
        time.sleep(0.02)
    r = srv.client.post("/predict", json={"rooms": 1, "area": 0}).json()
    assert (r["version"], r["prediction"]) == ("1.0.0", 10.0)
    assert (
        'hyperflow_model_info{alias="production",code_version="abc123",name="house",'
        'version="1.0.0"} 1.0' in srv.client.get("/metrics").text
    )


def test_admin_reload_applies_at_once(
    serve_app: Callable[[Any], Running], logs: pytest.LogCaptureFixture
) -> None:
    source = _two_versions()
    srv = serve_app(create_app(source, poll_interval_s=None, admin_token="s3cret"))
    source.point_to("1.0.0")
    assert srv.client.get("/version").json()["version"] == "1.1.0"  # no polling
    r = srv.client.post("/admin/reload", headers=ADMIN)
    assert r.status_code == 200 and r.json()["reloaded"] is True
    assert r.json()["version"] == "1.0.0"
    assert "reloaded house: 1.1.0 -> 1.0.0" in logs.text  # one line per reload
    again = srv.client.post("/admin/reload", headers=ADMIN).json()
    assert again["reloaded"] is False and source.loads == 2
    forced = srv.client.post("/admin/reload", headers=ADMIN, json={"force": True}).json()
    assert forced["reloaded"] is True and source.loads == 3


GATE = threading.Event()
STARTED = Calls()


def held_price(coef: float, house: House) -> float:
    """Counts its calls, then waits for ``GATE`` (version 1 only: coef 1)."""
    if coef == 1.0:
        STARTED.add(1)
        assert GATE.wait(60), "the test never opened the gate"
    return coef * house["rooms"] + house["area"]


def _held(coef: float, version: str) -> Predictor:
    return Predictor(hf.Pipeline([held_price], name="held"), {"coef": coef}, version=version)


async def _during_reload(url: str) -> tuple[list[httpx.Response], httpx.Response]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        inflight = [
            asyncio.ensure_future(client.post("/predict", json={"rooms": 1, "area": 0}))
            for _ in range(6)
        ]
        deadline = time.monotonic() + 60
        while len(STARTED.sizes) < 6:  # all six v1 requests are now running
            assert time.monotonic() < deadline, "the v1 requests did not start"
            await asyncio.sleep(0.005)
        reload = await client.post("/admin/reload", headers=ADMIN)
        after = [await client.post("/predict", json={"rooms": 1, "area": 0}) for _ in range(2)]
        GATE.set()
        return [*(await asyncio.gather(*inflight)), *after], reload


def test_reload_does_not_fail_in_flight_requests(serve_app: Callable[[Any], Running]) -> None:
    GATE.clear()
    STARTED.sizes.clear()
    source = MovableSource({"1": _held(1.0, "1"), "2": _held(2.0, "2")}, "1")
    srv = serve_app(create_app(source, poll_interval_s=None, admin_token="s3cret"))
    source.point_to("2")
    try:
        responses, reload = asyncio.run(_during_reload(srv.url))
    finally:
        GATE.set()
    assert reload.json()["version"] == "2"
    assert [r.status_code for r in responses] == [200] * 8
    # requests that started on v1 finish on v1, with v1's answer; later ones get v2
    assert [(r.json()["version"], r.json()["prediction"]) for r in responses] == [
        ("1", 1.0)
    ] * 6 + [("2", 2.0)] * 2


def test_a_version_that_fails_to_load_is_not_served(serve_app: Callable[[Any], Running]) -> None:
    source = _two_versions()
    srv = serve_app(create_app(source, poll_interval_s=None, admin_token="s3cret"))
    source.point_to("1.0.0")
    source.fail_with = hf.IntegrityError("artifact 'model': sha256 mismatch")
    r = srv.client.post("/admin/reload", headers=ADMIN)
    assert r.status_code == 409 and "sha256 mismatch" in r.json()["detail"]
    assert "still serving 1.1.0" in r.json()["detail"]
    ok = srv.client.post("/predict", json={"rooms": 1, "area": 0})
    assert ok.status_code == 200 and ok.json()["version"] == "1.1.0"
    assert 'hyperflow_model_reloads_total{outcome="failed"} 1.0' in srv.client.get("/metrics").text


def test_a_version_with_another_schema_is_refused(serve_app: Callable[[Any], Running]) -> None:
    source = MovableSource({"1": price_predictor(), "2": label_predictor()}, "1")
    srv = serve_app(create_app(source, poll_interval_s=None, admin_token="s3cret"))
    source.point_to("2")
    r = srv.client.post("/admin/reload", headers=ADMIN)
    assert r.status_code == 409 and "different row schema" in r.json()["detail"]
    assert srv.client.get("/version").json()["version"] == "1.0.0"
