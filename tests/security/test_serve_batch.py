"""Issue 23, finding 7 and the slow-client part of 9: batch amplification, validation
on the event loop, read timeouts and ``limit_concurrency``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, TypedDict

import httpx
import pytest
from pydantic import BaseModel, field_validator

import hyperflow as hf
from hyperflow.registry import Predictor
from hyperflow.serve import create_app
from tests.serve.conftest import Running, read_response, servers
from tests.serve.models import price_predictor


class Y(TypedDict):
    y: float


def ident(row: Y) -> float:
    return row["y"]


@pytest.fixture
def serve_app() -> Iterator[Callable[..., Running]]:
    with servers() as start:
        yield start


def test_a_huge_batch_gets_a_small_413(serve_app: Callable[..., Running]) -> None:
    srv = serve_app(create_app(Predictor(hf.Pipeline([ident], name="y"), {})))
    body = b"[" + b",".join([b'{"y":1}'] * 120_000) + b"]"  # 0.96 MB, under max_body_bytes
    r = srv.client.post("/predict/batch", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413 and len(r.content) < 1_000
    assert "at most 1000 rows, but got 120000" in r.json()["detail"]
    spec = srv.client.get("/openapi.json").json()
    schema = spec["paths"]["/predict/batch"]["post"]["requestBody"]["content"]
    assert schema["application/json"]["schema"]["maxItems"] == 1000


def test_at_most_20_errors_are_returned(serve_app: Callable[..., Running]) -> None:
    srv = serve_app(create_app(Predictor(hf.Pipeline([ident], name="y"), {})))
    r = srv.client.post("/predict/batch", json=[{"z": 1}] * 900)
    assert r.status_code == 422 and len(r.content) < 10_000
    body = r.json()
    assert len(body["detail"]) == 20 and body["message"].startswith("1800 errors")


GATE = threading.Event()
ENTERED = threading.Event()


class Slow(BaseModel):
    v: float

    @field_validator("v")
    @classmethod
    def wait(cls, v: float) -> float:
        ENTERED.set()
        GATE.wait(30)  # validation takes as long as the test says
        return v


class Row(TypedDict):
    s: Slow


def slow_row(row: Row) -> float:
    return row["s"].v if isinstance(row["s"], Slow) else float(row["s"]["v"])


def test_batch_validation_does_not_block_the_event_loop(serve_app: Callable[..., Running]) -> None:
    GATE.clear()
    ENTERED.clear()
    srv = serve_app(create_app(Predictor(hf.Pipeline([slow_row], name="slow"), {})))
    result: dict[str, Any] = {}

    def post() -> None:
        with httpx.Client(base_url=srv.url, timeout=60) as c:
            result["r"] = c.post("/predict/batch", json=[{"s": {"v": 2.0}}])

    t = threading.Thread(target=post)
    t.start()
    try:
        assert ENTERED.wait(30), "validation never started"
        health = srv.client.get("/health")  # answered while validation is still blocked
        assert health.status_code == 200 and not GATE.is_set()
    finally:
        GATE.set()
        t.join(60)
    assert result["r"].status_code == 200 and result["r"].json()["predictions"] == [2.0]


def _timed_server(**options: Any) -> Callable[[Any], Any]:
    """The uvicorn server ``hf.serve.serve`` runs, with these options."""
    from hyperflow.serve._run import build_server

    return lambda app: build_server(app, log_level="warning", **options)


def _closed(conn: Any) -> bool:
    """True once the server closed the connection (reads return nothing or reset)."""
    try:
        while conn.recv(65536):
            pass
    except ConnectionResetError:
        return True
    return True


def test_half_sent_headers_do_not_hold_a_connection(serve_app: Callable[..., Running]) -> None:
    srv = serve_app(create_app(price_predictor()), server=_timed_server(header_timeout_s=0.5))
    with srv.connect(timeout=30) as idle, srv.connect(timeout=30) as slow:
        slow.sendall(b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl")
        assert _closed(slow)  # a socket timeout (30 s) here would fail the test
        assert _closed(idle)
    assert srv.client.get("/health").status_code == 200  # others are served meanwhile


def test_a_trickled_body_gets_a_408(serve_app: Callable[..., Running]) -> None:
    srv = serve_app(
        create_app(price_predictor(), body_timeout_s=0.5), server=_timed_server(header_timeout_s=5)
    )
    with srv.connect(timeout=30) as conn:
        conn.sendall(
            b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{\"ro"
        )
        status, headers, body = read_response(conn)
        assert status == 408 and headers["connection"] == "close"
        assert b"did not arrive within 0.5 s" in body
        assert _closed(conn)


def test_limit_concurrency_answers_503_beyond_it(serve_app: Callable[..., Running]) -> None:
    srv = serve_app(create_app(price_predictor()), server=_timed_server(limit_concurrency=2))
    with srv.connect() as held:  # one connection is open: the next one is over the limit
        held.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_response(held)[0] == 200
        status, _, _ = srv.raw(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert status == 503

