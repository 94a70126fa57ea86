"""Issue 23, finding 6 (and issue 14 point 3): ``/feedback`` only for logged, unexpired
request ids; ids unguessable; an optional per-client rate limit."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import hyperflow as hf
from hyperflow.serve import (
    InMemoryPredictionLog,
    PredictionRecord,
    SQLPredictionLog,
    create_app,
)
from tests.serve.conftest import Running, servers
from tests.serve.models import price_predictor

ROW = {"rooms": 1, "area": 0.0}


@pytest.fixture
def serve_app() -> Iterator[Callable[..., Running]]:
    with servers() as start:
        yield start


def test_feedback_for_an_unknown_request_id_is_a_404_and_writes_nothing(
    serve_app: Callable[..., Running],
) -> None:
    log = InMemoryPredictionLog()
    srv = serve_app(create_app(price_predictor(), prediction_log=log))
    served = srv.client.post("/predict", json=ROW).json()["request_id"]
    started = time.monotonic()
    for _ in range(5):  # a log of this process alone: no other process can log it later
        r = srv.client.post(
            "/feedback", json={"request_id": os.urandom(16).hex(), "ground_truth": -999.0}
        )
        assert r.status_code == 404, r.text
        assert r.headers["content-type"] == "application/json"
        assert "no prediction with request_id" in r.json()["detail"]
    assert time.monotonic() - started < 5  # not a wait for another worker's flush each
    ok = srv.client.post("/feedback", json={"request_id": served, "ground_truth": 12.0})
    assert ok.status_code == 202
    srv.stop()
    df = hf.predictions.search("house", log=log)
    assert df[["request_id", "ground_truth"]].values.tolist() == [[served, 12.0]]


def _shared_prefix(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y), len(a))


def test_request_ids_are_128_bit_random(serve_app: Callable[..., Running]) -> None:
    srv = serve_app(create_app(price_predictor(), prediction_log=InMemoryPredictionLog()))
    ids = [srv.client.post("/predict", json=ROW).json()["request_id"] for _ in range(20)]
    batch = srv.client.post("/predict/batch", json=[ROW, ROW]).json()
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in [*ids, batch["request_id"]])
    # no shared per-process prefix and no counter: neighbours tell nothing about each other
    longest = max(_shared_prefix(a, b) for a in ids for b in ids if a != b)
    assert longest < 8
    assert all(r.startswith(batch["request_id"] + "-") for r in batch["request_ids"])


def test_feedback_after_the_time_to_live_is_a_404(serve_app: Callable[..., Running]) -> None:
    srv = serve_app(
        create_app(price_predictor(), prediction_log=InMemoryPredictionLog(), feedback_ttl_s=0.05)
    )
    rid = srv.client.post("/predict", json=ROW).json()["request_id"]
    deadline = time.monotonic() + 30
    while True:  # the id expires 50 ms after it was served
        r = srv.client.post("/feedback", json={"request_id": rid, "ground_truth": 1.0})
        if r.status_code == 404:
            break
        assert r.status_code == 202 and time.monotonic() < deadline
        time.sleep(0.05)
    assert "expired" in r.json()["detail"]


def test_ids_logged_by_an_earlier_process_are_accepted(
    serve_app: Callable[..., Running], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/predictions.db"
    first = serve_app(create_app(price_predictor(), prediction_log=SQLPredictionLog(url)))
    rid = first.client.post("/predict", json=ROW).json()["request_id"]
    first.stop()  # flushes the log
    second = serve_app(create_app(price_predictor(), prediction_log=SQLPredictionLog(url)))
    ok = second.client.post("/feedback", json={"request_id": rid, "ground_truth": 3.0})
    assert ok.status_code == 202
    unknown = second.client.post("/feedback", json={"request_id": "0" * 32, "ground_truth": 3.0})
    assert unknown.status_code == 404
    second.stop()
    df = hf.predictions.search("house", log=url)
    assert df[["request_id", "ground_truth"]].values.tolist() == [[rid, 3.0]]


def test_feedback_waits_for_an_id_another_worker_logs_late(
    serve_app: Callable[..., Running], tmp_path: Path
) -> None:
    """Under load another worker's (or replica's) writer may take several flushes."""
    url = f"sqlite:///{tmp_path}/predictions.db"
    srv = serve_app(create_app(price_predictor(), prediction_log=SQLPredictionLog(url)))
    rid = os.urandom(16).hex()
    now = datetime.now(UTC)
    row = PredictionRecord(rid, "house", "0.1.0", now, 1.0, json.dumps(ROW), "10.0")
    other = SQLPredictionLog(url)  # the other worker's log, flushing 1 s (5 flushes) late
    late = threading.Timer(1.0, other.write, [[row]])
    late.start()
    r = srv.client.post("/feedback", json={"request_id": rid, "ground_truth": 3.0})
    late.join()
    assert r.status_code == 202, r.text
    srv.stop()
    df = hf.predictions.search("house", log=url)
    assert df[["request_id", "ground_truth"]].values.tolist() == [[rid, 3.0]]


def test_rate_limit_per_client(serve_app: Callable[..., Running]) -> None:
    app = create_app(
        price_predictor(), prediction_log=InMemoryPredictionLog(), rate_limit=0.01, rate_limit_burst=3
    )
    srv = serve_app(app)
    codes = [srv.client.post("/predict", json=ROW).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    limited = srv.client.post("/feedback", json={"request_id": "0" * 32, "ground_truth": 1.0})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert "at most 0.01 per second" in limited.json()["detail"]
    assert srv.client.get("/health").status_code == 200  # probes are not limited
    assert srv.client.get("/metrics").status_code == 200
