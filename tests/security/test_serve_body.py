"""Issue 23, finding 2: the body-size limit counts the bytes actually received.

The gate used to trust ``Content-Length``: ``Content-Length: 10`` plus
``Transfer-Encoding: chunked`` carried any amount past the limit into the app
and the prediction log. Raw sockets: httpx will not send such framing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from hyperflow.serve import InMemoryPredictionLog, create_app
from tests.serve.conftest import Running, read_response, servers
from tests.serve.models import price_predictor

LIMIT = 1_000


@pytest.fixture
def serve_app() -> Iterator[Callable[..., Running]]:
    with servers() as start:
        yield start


@pytest.fixture
def srv() -> Iterator[tuple[Running, InMemoryPredictionLog]]:
    log = InMemoryPredictionLog()
    with servers() as start:
        yield start(create_app(price_predictor(), max_body_bytes=LIMIT, prediction_log=log)), log


def _chunked(body: bytes, size: int = 4096) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def _batch(rows: int) -> bytes:
    return b"[" + b",".join([b'{"rooms": 1, "area": 0.0}'] * rows) + b"]"


def _request(headers: list[str], body: bytes) -> bytes:
    head = ["POST /predict/batch HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    return ("\r\n".join(head + headers) + "\r\n\r\n").encode() + body


def test_content_length_with_transfer_encoding_is_refused(
    srv: tuple[Running, InMemoryPredictionLog],
) -> None:
    server, log = srv
    body = _batch(2_000)  # 52 kB, far over the limit
    status, headers, reply = server.raw(
        _request(["Content-Length: 10", "Transfer-Encoding: chunked"], _chunked(body))
    )
    assert status == 400, reply
    assert b"Content-Length and Transfer-Encoding" in reply
    assert headers.get("connection") == "close"
    server.stop()
    assert len(log) == 0  # nothing reached the model or the log


def test_chunked_body_is_counted_as_it_arrives(srv: tuple[Running, InMemoryPredictionLog]) -> None:
    server, log = srv
    status, _, reply = server.raw(_request(["Transfer-Encoding: chunked"], _chunked(_batch(2_000))))
    assert status == 413 and b"exceeds 1000 bytes" in reply
    small = _batch(2)
    status, _, reply = server.raw(_request(["Transfer-Encoding: chunked"], _chunked(small, 7)))
    assert status == 200, reply
    server.stop()
    assert len(log) == 2


def test_declared_length_over_the_limit_is_refused_before_reading(
    srv: tuple[Running, InMemoryPredictionLog],
) -> None:
    server, _ = srv
    with server.connect() as conn:  # headers only: the 413 comes without the body being sent
        conn.sendall(_request([f"Content-Length: {LIMIT + 1}"], b""))
        status, headers, _ = read_response(conn)
    assert status == 413 and headers.get("connection") == "close"


@pytest.mark.parametrize("value", ["abc", "-5", "10, 20"])
def test_malformed_content_length_is_a_400(
    srv: tuple[Running, InMemoryPredictionLog], value: str
) -> None:
    server, _ = srv
    status, _, _ = server.raw(_request([f"Content-Length: {value}"], b"[]"))
    assert status == 400


def test_limit_is_counted_per_request_on_a_kept_alive_connection(
    serve_app: Callable[..., Running],
) -> None:
    server = serve_app(create_app(price_predictor(), max_body_bytes=LIMIT))
    rows = _batch(30)  # 781 bytes: under the limit each time
    headers = {"content-type": "application/json"}
    for _ in range(3):
        r = server.client.post("/predict/batch", content=rows, headers=headers)
        assert r.status_code == 200
