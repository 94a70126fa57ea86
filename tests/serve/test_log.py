"""The prediction log as serving uses it: background writer, and what gets logged."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

import hyperflow as hf
from hyperflow.serve import (
    InMemoryPredictionLog,
    PredictionRecord,
    create_app,
)
from hyperflow.serve._writer import LogWriter
from tests.serve.conftest import Running
from tests.serve.models import label_predictor, price_predictor


# -- the background writer ----------------------------------------------------------------
class GatedLog(InMemoryPredictionLog):
    """A log whose writes block until ``gate`` is set (a stalled database)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.batches: list[int] = []

    def write(self, records: Sequence[PredictionRecord]) -> None:
        assert self.gate.wait(60), "the test never opened the gate"
        self.batches.append(len(records))
        super().write(records)


def test_writer_batches_drops_when_full_and_flushes_on_close() -> None:
    log = GatedLog()
    dropped: list[int] = []
    writer = LogWriter(log, max_queue=10, batch_size=5, on_drop=dropped.append)
    writer.start()

    def submit_all() -> None:
        for i in range(60):
            writer.submit(f"r{i}", "m", "1", time.time(), 1.0, {"i": i}, i)

    submitter = threading.Thread(target=submit_all)
    submitter.start()
    submitter.join(60)  # the log is stalled: only a submit that never waits can finish
    assert not submitter.is_alive()
    # at most 10 wait in the queue and 5 in the writer's hands; the rest are dropped
    assert writer.dropped >= 60 - 10 - 5 and writer.pending <= 10
    assert sum(dropped) == writer.dropped
    log.gate.set()
    writer.close()
    assert len(log) == 60 - writer.dropped
    assert max(log.batches) <= 5 and len(log.batches) >= 2
    assert log.search("m")["output"].iloc[0] == 0


def test_writer_survives_a_failing_log_and_odd_values() -> None:
    class Broken(InMemoryPredictionLog):
        def write(self, records: Sequence[PredictionRecord]) -> None:
            raise OSError("database is down")

    writer = LogWriter(Broken())
    writer.submit("a", "m", "1", time.time(), 1.0, {"x": float("nan")}, object())
    writer.close()
    assert writer.failed == 1 and writer.written == 0
    ok = InMemoryPredictionLog()
    w2 = LogWriter(ok)
    w2.start()
    w2.submit("a", "m", "1", time.time(), 1.0, {"x": float("nan")}, {1, 2})
    w2.close()
    assert ok.search("m")["inputs"].iloc[0] == {"x": None}


# -- what serving logs ------------------------------------------------------------------
def test_every_prediction_is_logged_with_feedback_joined(
    serve_app: Callable[[Any], Running],
) -> None:
    log = InMemoryPredictionLog()
    srv = serve_app(create_app(label_predictor(), prediction_log=log))
    before = datetime.now(UTC)
    one = srv.client.post("/predict", json={"rooms": 2, "area": 70.0}).json()
    batch = srv.client.post("/predict/batch", json=[{"rooms": 1, "area": 1.0}] * 2).json()
    srv.client.post("/predict", json={"rooms": "bad", "area": 1.0})  # 422: not a prediction
    srv.client.post("/feedback", json={"request_id": one["request_id"], "ground_truth": "small"})
    srv.stop()  # graceful shutdown flushes the queue
    df = hf.predictions.search("size", log=log)
    assert list(df["request_id"]) == [one["request_id"], *batch["request_ids"]]
    first = df.iloc[0]
    assert first["inputs"] == {"rooms": 2, "area": 70.0} and first["output"] == "big"
    assert first["version"] == "2.1.0" and first["model"] == "size"
    assert first["ground_truth"] == "small" and first["feedback_at"] >= before
    assert before <= first["timestamp"] <= datetime.now(UTC)
    assert first["latency_ms"] > 0
    assert (
        list(df["ground_truth"].iloc[1:]) == [None, None]
        and df["feedback_at"].iloc[1:].isna().all()
    )
    assert len(hf.predictions.search("size", log=log, version="9.9.9")) == 0


def test_requests_do_not_wait_on_a_stalled_log_and_shutdown_flushes(
    serve_app: Callable[[Any], Running],
) -> None:
    log = GatedLog()
    srv = serve_app(create_app(price_predictor(), prediction_log=log))
    for i in range(30):  # answered although the database takes no write until the gate opens
        assert srv.client.post("/predict", json={"rooms": i, "area": 0}).status_code == 200
    assert len(log) == 0
    log.gate.set()
    srv.stop()
    assert len(log) == 30


async def _load(url: str, seconds: float, clients: int) -> tuple[int, int]:
    ok = other = 0
    stop = time.monotonic() + seconds

    async def worker(client: httpx.AsyncClient, k: int) -> None:
        nonlocal ok, other
        i = 0
        while time.monotonic() < stop:
            i += 1
            body: dict[str, Any] = {"rooms": i % 7, "area": float(k)}
            if i % 10 == 0:
                body["rooms"] = "x"  # some bad requests too
            r = await client.post("/predict", json=body)
            if 200 <= r.status_code < 300:
                ok += 1
            else:
                other += 1

    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        await asyncio.gather(*(worker(client, k) for k in range(clients)))
    return ok, other


@pytest.mark.slow
def test_log_count_equals_2xx_responses_under_load(serve_app: Callable[[Any], Running]) -> None:
    log = InMemoryPredictionLog()
    srv = serve_app(create_app(price_predictor(), prediction_log=log))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)  # client and server share this process's GIL
    try:
        ok, bad = asyncio.run(_load(srv.url, 5.0, 16))
    finally:
        sys.setswitchinterval(interval)
    srv.stop()
    assert ok > 200 and bad > 0
    assert len(hf.predictions.search("house", log=log)) == ok


def test_default_log_is_the_project_store(serve_app: Callable[[Any], Running]) -> None:
    srv = serve_app(create_app(price_predictor()))
    rid = srv.client.post("/predict", json={"rooms": 1, "area": 2.0}).json()["request_id"]
    srv.client.post("/feedback", json={"request_id": rid, "ground_truth": 13.0})
    srv.stop()
    assert Path(".hyperflow/hyperflow.db").exists()  # the default store of this project
    assert not Path(".hyperflow/cache").exists()  # predictions are never cached on disk
    df = hf.predictions.search("house", version="1.0.0", since="2000-01-01", limit=10)
    assert df[["request_id", "output", "ground_truth"]].values.tolist() == [[rid, 12.0, 13.0]]
    assert df["inputs"].iloc[0] == {"rooms": 1, "area": 2.0}
    assert hf.predictions.search("house", until="2000-01-01").empty
    assert len(hf.serve.SQLPredictionLog(None).search("house")) == 1


def test_served_predictions_and_feedback_land_in_the_store(
    serve_app: Callable[[Any], Running], store_url: str
) -> None:
    """The prediction log in the metadata store, on SQLite and on PostgreSQL."""
    log = hf.serve.SQLPredictionLog(store_url)
    srv = serve_app(create_app(label_predictor(), prediction_log=log))
    one = srv.client.post("/predict", json={"rooms": 2, "area": 70.0}).json()
    batch = srv.client.post("/predict/batch", json=[{"rooms": 1, "area": 1.0}] * 3).json()
    fb = srv.client.post(
        "/feedback", json={"request_id": batch["request_ids"][1], "ground_truth": "big"}
    )
    assert fb.status_code == 202
    srv.stop()
    df = hf.predictions.search("size", log=store_url)
    assert list(df["request_id"]) == [one["request_id"], *batch["request_ids"]]
    assert all(isinstance(r, str) for r in df["request_id"])
    assert list(df["output"]) == ["big", "small", "small", "small"]
    assert list(df["ground_truth"]) == [None, None, "big", None]
    assert log.logged_at(one["request_id"]) == df["timestamp"].iloc[0].to_pydatetime()
    assert log.logged_at("never-served") is None
