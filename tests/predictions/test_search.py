"""``hf.predictions.search``: served predictions as a DataFrame, feedback joined."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

import hyperflow as hf
from hyperflow.store import (
    FeedbackRecord,
    InMemoryPredictionLog,
    PredictionRecord,
    SQLPredictionLog,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
COLUMNS = [
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


def _fill(log: hf.serve.PredictionLog) -> None:
    log.write(
        [
            PredictionRecord(
                f"r{i}", "weather", v, T0 + timedelta(hours=i), 1.0 + i, '{"t": 1}', '"sun"'
            )
            for i, v in enumerate(["1.0.0", "1.0.0", "1.1.0", "1.1.0"])
        ]
        + [PredictionRecord("x", "other", "1", T0, 1.0, "{}", "0")]
    )
    log.write_feedback([FeedbackRecord("r1", '"rain"', T0 + timedelta(days=1))])


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> hf.serve.PredictionLog:
    if request.param == "memory":
        return InMemoryPredictionLog()
    if request.param == "sqlite":
        return SQLPredictionLog(f"sqlite:///{tmp_path}/hyperflow.db")
    return SQLPredictionLog(request.getfixturevalue("postgres_url"))


def test_search_filters_by_version_time_and_limit(log: hf.serve.PredictionLog) -> None:
    _fill(log)
    df = hf.predictions.search("weather", log=log)
    assert list(df.columns) == COLUMNS and list(df["request_id"]) == ["r0", "r1", "r2", "r3"]
    assert list(hf.predictions.search("weather", "1.1.0", log=log)["request_id"]) == ["r2", "r3"]
    since = hf.predictions.search("weather", since=T0 + timedelta(hours=1), log=log)
    assert list(since["request_id"]) == ["r1", "r2", "r3"]  # inclusive
    until = hf.predictions.search("weather", until=T0 + timedelta(hours=2), log=log)
    assert list(until["request_id"]) == ["r0", "r1"]  # exclusive
    assert list(hf.predictions.search("weather", limit=2, log=log)["request_id"]) == ["r2", "r3"]
    assert hf.predictions.search("weather", limit=0, log=log).empty
    assert hf.predictions.search("nobody", log=log).shape == (0, 11)


def test_search_joins_feedback(log: hf.serve.PredictionLog) -> None:
    _fill(log)
    df = hf.predictions.search("weather", log=log)
    assert list(df["ground_truth"]) == [None, "rain", None, None]
    assert df["feedback_at"].iloc[1] == T0 + timedelta(days=1)
    assert df["feedback_at"].isna().tolist() == [True, False, True, True]
    assert isinstance(df["timestamp"].dtype, pd.DatetimeTZDtype)
    assert df["inputs"].iloc[0] == {"t": 1} and df["output"].iloc[0] == "sun"


def test_times_may_be_iso_strings_naive_or_other_zones() -> None:
    log = InMemoryPredictionLog()
    _fill(log)
    by_string = hf.predictions.search("weather", since="2026-03-01T13:00", log=log)
    naive = hf.predictions.search("weather", since=datetime(2026, 3, 1, 13), log=log)  # UTC
    zoned = hf.predictions.search(
        "weather", since=datetime(2026, 3, 1, 14, tzinfo=timezone(timedelta(hours=1))), log=log
    )
    assert list(by_string["request_id"]) == list(naive["request_id"]) == ["r1", "r2", "r3"]
    assert list(zoned["request_id"]) == ["r1", "r2", "r3"]


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(hf.ServeError, match="since must be a datetime or an ISO 8601 string"):
        hf.predictions.search("weather", since="yesterday", log="memory://")
    with pytest.raises(hf.ServeError, match="until must be a datetime"):
        hf.predictions.search("weather", until=3, log="memory://")  # type: ignore[arg-type]
    with pytest.raises(hf.ServeError, match="limit must be >= 0"):
        hf.predictions.search("weather", limit=-1, log="memory://")


def test_default_log_is_the_project_store() -> None:
    SQLPredictionLog(None).write([PredictionRecord("d", "m", "1", T0, 1.0, "{}", "1")])
    assert list(hf.predictions.search("m")["request_id"]) == ["d"]
