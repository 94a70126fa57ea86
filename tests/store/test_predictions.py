"""Conformance suite of the prediction log: every implementation runs it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hyperflow import StoreError
from hyperflow.store import (
    FeedbackRecord,
    InMemoryPredictionLog,
    PredictionLog,
    PredictionRecord,
    SQLPredictionLog,
    SQLStore,
    get_prediction_log,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PredictionLog]:
    if request.param == "memory":
        yield InMemoryPredictionLog()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/hyperflow.db"
    else:
        url = request.getfixturevalue("postgres_url")
    store = SQLStore(url)
    yield SQLPredictionLog(store)
    store.close()


def _rec(rid: str, minutes: int, version: str = "1", model: str = "m") -> PredictionRecord:
    return PredictionRecord(
        rid, model, version, T0 + timedelta(minutes=minutes), 2.5, '{"x": 1}', f'"{rid}"'
    )


def test_log_search_filters_and_orders(log: PredictionLog) -> None:
    log.write([_rec("c", 3, "2"), _rec("a", 1), _rec("other", 0, model="n")])
    log.write([_rec("b", 2)])
    df = log.search("m")
    assert list(df.columns) == [
        "request_id",
        "model",
        "version",
        "timestamp",
        "latency_ms",
        "inputs",
        "output",
        "ground_truth",
        "feedback_at",
        "arm",
        "status",
    ]
    assert list(df["request_id"]) == ["a", "b", "c"]
    assert df["inputs"].iloc[0] == {"x": 1} and df["output"].iloc[0] == "a"
    assert df["timestamp"].iloc[0] == T0 + timedelta(minutes=1)
    assert df["latency_ms"].iloc[0] == 2.5
    assert list(log.search("m", version="2")["request_id"]) == ["c"]
    since, until = T0 + timedelta(minutes=2), T0 + timedelta(minutes=3)
    assert list(log.search("m", since=since)["request_id"]) == ["b", "c"]
    assert list(log.search("m", until=until)["request_id"]) == ["a", "b"]
    assert list(log.search("m", limit=2)["request_id"]) == ["b", "c"]
    assert log.search("m", limit=0).empty
    assert log.search("nobody").empty


def test_log_joins_latest_feedback(log: PredictionLog) -> None:
    log.write([_rec("a", 1), _rec("b", 2)])
    log.write_feedback([FeedbackRecord("a", '"wrong"', T0)])
    log.write_feedback([FeedbackRecord("a", '"right"', T0 + timedelta(hours=1))])
    df = log.search("m")
    assert list(df["ground_truth"]) == ["right", None]
    assert df["feedback_at"].iloc[0] == T0 + timedelta(hours=1)
    assert df["feedback_at"].isna().tolist() == [False, True]


def test_log_knows_when_a_request_id_was_logged(log: PredictionLog) -> None:
    """Serving accepts feedback only for logged request ids (``logged_at``)."""
    assert log.logged_at("a") is None
    log.write([_rec("a", 1), _rec("b", 2, model="n")])
    assert log.logged_at("a") == T0 + timedelta(minutes=1)
    assert log.logged_at("b") == T0 + timedelta(minutes=2)  # whatever the model
    assert log.logged_at("c") is None
    log.write_feedback([FeedbackRecord("c", "1", T0)])  # feedback is not a prediction
    assert log.logged_at("c") is None


def test_sql_log_is_shared_through_the_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shared.db"
    SQLPredictionLog(url).write([_rec("a", 1)])
    assert list(get_prediction_log(url).search("m")["request_id"]) == ["a"]


def test_get_prediction_log_resolves_and_rejects() -> None:
    assert isinstance(get_prediction_log("memory://"), InMemoryPredictionLog)
    assert isinstance(get_prediction_log(None), SQLPredictionLog)  # the default store
    with pytest.raises(StoreError, match="a prediction log must be None"):
        get_prediction_log(42)  # type: ignore[arg-type]


def test_a_batch_keeps_every_field_and_its_order(log: PredictionLog) -> None:
    """One write of many rows (one statement on SQL logs) loses no field and no row."""
    odd = '{"text": "quote \\" backslash \\\\ é 漢字 \\n", "n": null, "big": 1e308}'
    records = [
        PredictionRecord(
            f"r{i:04d}", "m", None if i % 2 else "2.0.0",
            T0 + timedelta(microseconds=i * 1001), i / 3, odd, "null" if i % 5 else f"[{i}]",
            None if i % 3 else "canary", 500 if i == 7 else 200,
        )
        for i in range(1500)
    ]
    log.write(records)
    frame = log.search("m")
    assert list(frame["request_id"]) == [r.request_id for r in records]
    first, seventh = frame.iloc[0], frame.iloc[7]
    assert first["inputs"] == {"text": 'quote " backslash \\ é 漢字 \n', "n": None, "big": 1e308}
    assert first["version"] == "2.0.0" and first["arm"] == "canary" and first["output"] == [0]
    assert seventh["version"] is None and seventh["output"] is None and seventh["status"] == 500
    assert frame["latency_ms"].tolist() == pytest.approx([i / 3 for i in range(1500)])
    assert (frame["timestamp"].diff().dropna() > timedelta(0)).all()
