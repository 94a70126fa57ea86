"""Endpoints of a served model, against a real uvicorn server."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

import hyperflow as hf
from hyperflow.registry import Predictor
from hyperflow.serve import InMemoryPredictionLog, create_app
from tests.serve.conftest import Running
from tests.serve.models import House, label_predictor, price_predictor


def metric(text: str, metric_name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus text exposition."""
    for line in text.splitlines():
        name = metric_name
        if line.startswith(name) and not line.startswith("#"):
            head, value = line.rsplit(" ", 1)
            if all(f'{k}="{v}"' in head for k, v in labels.items()) and (
                head == name or head.startswith(name + "{")
            ):
                return float(value)
    raise AssertionError(f"no sample {metric_name} {labels} in metrics")


def test_predict_returns_value_request_id_and_version(
    serve_app: Callable[[Any], Running],
) -> None:
    srv = serve_app(create_app(price_predictor(), prediction_log=InMemoryPredictionLog()))
    r = srv.client.post("/predict", json={"rooms": 3, "area": 50.5})
    assert r.status_code == 200
    body = r.json()
    assert body["prediction"] == 80.5
    assert body["model"] == "house" and body["version"] == "1.0.0"
    assert len(body["request_id"]) == 32
    other = srv.client.post("/predict", json={"rooms": 1, "area": 0.0}).json()
    assert other["request_id"] != body["request_id"] and other["prediction"] == 10.0


def test_batch_predict_and_size_limit(serve_app: Callable[[Any], Running]) -> None:
    srv = serve_app(create_app(price_predictor(), max_batch_rows=3))
    rows = [{"rooms": i, "area": 1.0} for i in range(3)]
    r = srv.client.post("/predict/batch", json=rows)
    assert r.status_code == 200
    body = r.json()
    assert body["predictions"] == [1.0, 11.0, 21.0]
    assert len(set(body["request_ids"])) == 3 and body["version"] == "1.0.0"
    too_many = srv.client.post("/predict/batch", json=[*rows, rows[0]])
    assert too_many.status_code == 413
    assert "at most 3 rows" in too_many.json()["detail"]


def test_bad_input_gets_field_level_422(serve_app: Callable[[Any], Running]) -> None:
    srv = serve_app(create_app(label_predictor()))
    r = srv.client.post("/predict", json={"rooms": "many", "area": 1.0})
    assert r.status_code == 422
    [err] = r.json()["detail"]
    assert err["loc"] == ["body", "rooms"] and "integer" in err["msg"]
    missing = srv.client.post("/predict", json={"rooms": 1})
    assert missing.json()["detail"][0]["loc"] == ["body", "area"]
    unknown = srv.client.post("/predict", json={"rooms": 1, "area": 2.0, "aera": 3})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "aera"]
    not_json = srv.client.post(
        "/predict", content=b"{rooms", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422
    in_batch = srv.client.post("/predict/batch", json=[{"rooms": 1, "area": 1.0}, {"rooms": 2}])
    assert in_batch.status_code == 422 and in_batch.json()["detail"][0]["loc"][:2] == ["body", 1]


def test_a_value_the_model_rejects_is_a_422_not_a_500(
    serve_app: Callable[[Any], Running],
) -> None:
    srv = serve_app(create_app(label_predictor()))
    r = srv.client.post("/predict", json={"rooms": 1, "area": -5.0})
    assert r.status_code == 422
    assert "area must be >= 0" in r.json()["message"]
    ok = srv.client.post("/predict", json={"rooms": 1, "area": 60.0})
    assert ok.json()["prediction"] == "big"


def overflow(house: House) -> float:
    return house["area"] * 1e308


def test_non_finite_output_is_valid_json_null(serve_app: Callable[[Any], Running]) -> None:
    srv = serve_app(create_app(Predictor(hf.Pipeline([overflow], name="o"), {})))
    r = srv.client.post("/predict", json={"rooms": 1, "area": 10.0})
    assert r.status_code == 200 and r.json()["prediction"] is None


def test_health_ready_version(serve_app: Callable[[Any], Running]) -> None:
    srv = serve_app(create_app(price_predictor()))
    assert srv.client.get("/health").json() == {"status": "ok"}
    assert srv.client.get("/ready").json() == {"status": "ready", "version": "1.0.0"}
    v = srv.client.get("/version").json()
    assert (v["model"], v["version"], v["alias"], v["code_version"]) == (
        "house",
        "1.0.0",
        "production",
        "abc123",
    )


def test_metrics_count_requests_latency_batches_and_classes(
    serve_app: Callable[[Any], Running],
) -> None:
    srv = serve_app(create_app(label_predictor()))
    for area in (10.0, 60.0, 70.0):
        srv.client.post("/predict", json={"rooms": 1, "area": area})
    srv.client.post("/predict", json={"rooms": "x", "area": 1.0})
    srv.client.post("/predict/batch", json=[{"rooms": 1, "area": 1.0}] * 4)
    r = srv.client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert metric(text, "hyperflow_requests_total", route="/predict", status="200") == 3
    assert metric(text, "hyperflow_requests_total", route="/predict", status="422") == 1
    assert metric(text, "hyperflow_requests_total", route="/predict/batch", status="200") == 1
    assert metric(text, "hyperflow_request_duration_seconds_count", route="/predict") == 4
    assert metric(text, "hyperflow_predictions_total", prediction="big") == 2
    assert metric(text, "hyperflow_predictions_total", prediction="small") == 5
    assert metric(text, "hyperflow_model_info", name="size", version="2.1.0") == 1
    assert "hyperflow_batch_size_bucket" in text


def test_numeric_predictions_are_summarised(serve_app: Callable[[Any], Running]) -> None:
    srv = serve_app(create_app(price_predictor()))
    srv.client.post("/predict/batch", json=[{"rooms": 1, "area": 0.0}, {"rooms": 2, "area": 0.0}])
    text = srv.client.get("/metrics").text
    assert metric(text, "hyperflow_prediction_value_count") == 2
    assert metric(text, "hyperflow_prediction_value_sum") == 30.0


def test_openapi_schema_comes_from_type_hints(serve_app: Callable[[Any], Running]) -> None:
    srv = serve_app(create_app(price_predictor()))
    spec = srv.client.get("/openapi.json").json()
    row = spec["components"]["schemas"]["House"]
    assert row["properties"]["rooms"]["type"] == "integer"
    assert row["properties"]["area"]["type"] == "number"
    assert sorted(row["required"]) == ["area", "rooms"]
    pred = spec["components"]["schemas"]["Prediction"]["properties"]["prediction"]
    assert {"type": "number"} in pred["anyOf"]
    assert srv.client.get("/docs").status_code == 200
    assert set(spec["paths"]) >= {
        "/predict",
        "/predict/batch",
        "/feedback",
        "/health",
        "/ready",
        "/version",
        "/metrics",
    }


def test_feedback_is_accepted_and_typed(serve_app: Callable[[Any], Running]) -> None:
    srv = serve_app(create_app(label_predictor(), prediction_log=InMemoryPredictionLog()))
    rid = srv.client.post("/predict", json={"rooms": 1, "area": 60.0}).json()["request_id"]
    r = srv.client.post("/feedback", json={"request_id": rid, "ground_truth": "big"})
    assert r.status_code == 202 and r.json() == {"request_id": rid, "accepted": True}
    bad = srv.client.post("/feedback", json={"request_id": rid, "ground_truth": [1]})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "ground_truth"]
    unknown = srv.client.post("/feedback", json={"request_id": "abc", "ground_truth": "big"})
    assert unknown.status_code == 404 and "'abc'" in unknown.json()["detail"]


def test_create_app_rejects_bad_options() -> None:
    with pytest.raises(hf.ServeError, match="max_batch_size"):
        create_app(price_predictor(), max_batch_size=0)
    with pytest.raises(hf.ServeError, match=r"'name@alias', a hyperflow\.registry\.Predictor"):
        create_app(42)  # type: ignore[arg-type]


class Opaque:
    pass


def opaque(thing: Opaque) -> float:
    return 1.0


def test_input_without_json_form_is_named() -> None:
    with pytest.raises(hf.ServeError, match="input field 'thing'"):
        create_app(Predictor(hf.Pipeline([opaque], name="opaque"), {}))


def test_access_log_is_one_json_line_per_request(
    serve_app: Callable[[Any], Running], logs: pytest.LogCaptureFixture
) -> None:
    srv = serve_app(create_app(price_predictor()))
    srv.client.post("/predict", json={"rooms": 1, "area": 0.0})
    srv.raw(b"GET /nowhere%1B]0;pwned%07 HTTP/1.1\r\nHost: x\r\n\r\n")  # an escape sequence
    srv.client.post("/predict", json={"rooms": "x", "area": 0.0})
    deadline = time.monotonic() + 30  # a line is written just after its response is sent
    while len(records := [r for r in logs.records if r.name == "hyperflow.serve.access"]) < 3:
        assert time.monotonic() < deadline, records
        time.sleep(0.01)
    lines = [json.loads(r.getMessage()) for r in records]
    assert [(x["method"], x["route"], x["status"]) for x in lines] == [
        ("POST", "/predict", 200),
        ("GET", "other", 404),
        ("POST", "/predict", 422),
    ]
    assert all(x["client"].startswith("127.0.0.1:") and x["ms"] >= 0 for x in lines)
    assert "\x1b" not in "".join(r.getMessage() for r in records)  # escaped, inert


def test_access_log_can_be_turned_off(
    serve_app: Callable[[Any], Running], logs: pytest.LogCaptureFixture
) -> None:
    srv = serve_app(create_app(price_predictor(), access_log=False))
    assert srv.client.post("/predict", json={"rooms": 1, "area": 0.0}).status_code == 200
    srv.stop()  # every request has been recorded once the server stopped
    assert not [r for r in logs.records if r.name == "hyperflow.serve.access"]
