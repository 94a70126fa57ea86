"""Personal data in the prediction log: the policy applies before anything is written (issue 22).

The policy is configured in the project (``[tool.hyperflow.predictions]``) and read by
serving; the tests then read the database directly, not through hyperflow.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict

import pytest
import sqlalchemy as sa

import hyperflow as hf
from hyperflow.registry import Predictor
from hyperflow.serve import PredictionRecord, SQLPredictionLog, create_app
from hyperflow.store import get_prediction_log
from tests.serve.conftest import Running

KEY = "test-key-0123456789"
POLICY = (
    "[tool.hyperflow]\n"
    'name = "pii"\n'
    "[tool.hyperflow.predictions]\n"
    'fields = {email = "hash", name = "drop", note = "truncate:5"}\n'
    'max_age = "30d"\n'
)


class Person(TypedDict):
    email: str
    name: str
    note: str
    age: int


def risk(limit: int, person: Person) -> str:
    return "high" if person["age"] > limit else "low"


def predictor() -> Predictor:
    return Predictor(hf.Pipeline([risk], name="risk"), {"limit": 60}, name="risk", version="1.0.0")


@pytest.fixture
def project(monkeypatch: pytest.MonkeyPatch) -> None:
    Path("pyproject.toml").write_text(POLICY, encoding="utf-8")
    monkeypatch.setenv("HYPERFLOW_LOG_KEY", KEY)


def _hmac(value: str) -> str:
    return "hmac:" + hmac.new(KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def _raw_rows(store_url: str) -> list[Any]:
    engine = sa.create_engine(store_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM hf_predictions ORDER BY id")).all()
    engine.dispose()
    return list(rows)


ANN = {"email": "ann@example.org", "name": "Ann Example", "note": "allergic to X", "age": 70}


def test_a_dropped_field_never_reaches_the_database(
    project: None, serve_app: Callable[[Any], Running], store_url: str
) -> None:
    srv = serve_app(create_app(predictor(), prediction_log=SQLPredictionLog(store_url)))
    one = srv.client.post("/predict", json=ANN)
    assert one.status_code == 200 and one.json()["prediction"] == "high"
    batch = srv.client.post("/predict/batch", json=[ANN, {**ANN, "email": "bob@example.org"}])
    assert batch.status_code == 200
    srv.stop()
    rows = _raw_rows(store_url)
    assert len(rows) == 3
    for row in rows:  # every column of every row, as stored
        text = " ".join(str(v) for v in row)
        assert "Ann Example" not in text and '"name"' not in text
        assert "ann@example.org" not in text and "allergic" not in text
    import json

    stored = json.loads(rows[0].inputs)
    assert stored == {"email": _hmac("ann@example.org"), "note": "aller", "age": 70}
    assert json.loads(rows[2].inputs)["email"] == _hmac("bob@example.org")  # joins still work


def test_an_unknown_policy_field_is_refused_with_did_you_mean(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    Path("pyproject.toml").write_text(POLICY.replace("email = ", "emial = "), encoding="utf-8")
    monkeypatch.setenv("HYPERFLOW_LOG_KEY", KEY)
    with pytest.raises(hf.ConfigError, match=r"'emial'.*did you mean 'email'"):
        create_app(predictor(), prediction_log="memory://")


def test_export_delete_and_prune_are_audited(project: None, store_url: str) -> None:
    log = get_prediction_log(store_url)  # the project's policy applied
    now = datetime.now(UTC)
    log.write(
        [
            PredictionRecord("r1", "risk", "1.0.0", now, 1.0, json_of(ANN), '"high"'),
            PredictionRecord(
                "r2", "risk", "1.0.0", now, 1.0, json_of({**ANN, "email": "b@x"}), '"high"'
            ),
            PredictionRecord("old", "risk", "1.0.0", now - timedelta(days=40), 1.0, "{}", '"low"'),
        ]
    )
    got = hf.predictions.export(
        where={"email": "ann@example.org"}, reason="DSAR 7", store=store_url
    )
    assert [r["request_id"] for r in got] == ["r1"] and "name" not in got[0]["inputs"]
    with pytest.raises(hf.ConfigError, match="dropped by the log policy"):
        hf.predictions.export(where={"name": "Ann Example"}, store=store_url)
    assert hf.predictions.delete(where={"email": "ann@example.org"}, store=store_url) == 1
    assert hf.predictions.prune(store=store_url) == 1  # max_age = 30d from the project
    assert [r.request_id for r in _raw_rows(store_url)] == ["r2"]
    events = hf.registry.audit_log(action="predictions.", store=store_url)
    assert [e.action for e in events] == [
        "predictions.export",
        "predictions.delete",
        "predictions.prune",
    ]
    assert events[0].reason == "DSAR 7" and events[0].details["where"] == ["email"]
    assert "ann@example.org" not in str([e.details for e in events])  # values never logged
    assert events[1].details["deleted"] == 1 and events[2].details["deleted"] == 1


def json_of(value: Any) -> str:
    import json

    return json.dumps(value)
