"""`hyperflow serve --log-format json`: every line the server writes is one JSON object
(timestamp, level, event), and a prediction's line carries its request id, model,
version and latency; a format that does not exist is a usage error."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import httpx
import pytest

import hyperflow as hf
from tests.serve.models import price_predictor
from tests.serve.processes import ServeProcess, cli_env, register_demo, serve_once


@pytest.mark.slow
def test_json_logs_are_one_event_per_line_with_the_request_fields(tmp_path: Path) -> None:
    register_demo(tmp_path)
    server = ServeProcess(["demo@production", "--log-format", "json"], tmp_path, cli_env())
    try:
        server.wait_for('"event": "start"')
        answer = httpx.post(server.url + "/predict", json={"x": 1.0, "group": "a"}).json()
        assert httpx.post(server.url + "/predict", json={"x": "one"}).status_code == 422
        server.wait_for('"status": 422')
    finally:
        assert server.stop() == 0
    events = [json.loads(line) for line in server.lines]  # every line parses
    for event in events:
        assert {"timestamp", "level", "event", "logger"} <= event.keys()
        assert datetime.fromisoformat(event["timestamp"]).tzinfo is not None
    start = next(e for e in events if e["event"] == "start")
    assert start["level"] == "info" and "demo 0.1.0" in start["message"]
    requests = [e for e in events if e["event"] == "request"]
    ok = next(e for e in requests if e["status"] == 200)
    assert ok["request_id"] == answer["request_id"]
    assert (ok["model"], ok["version"], ok["route"]) == ("demo", "0.1.0", "/predict")
    assert isinstance(ok["latency_ms"], float) and ok["latency_ms"] > 0
    bad = next(e for e in requests if e["status"] == 422)
    assert "request_id" not in bad and bad["latency_ms"] > 0


@pytest.mark.slow
def test_text_logs_stay_uvicorn_lines_with_a_json_access_payload(tmp_path: Path) -> None:
    register_demo(tmp_path)
    server = ServeProcess(["demo@production", "--log-format", "text"], tmp_path, cli_env())
    try:
        assert server.wait_for("hyperflow serve: demo 0.1.0").startswith("INFO:")
        rid = httpx.post(server.url + "/predict", json={"x": 1.0, "group": "a"}).json()
        line = server.wait_for('"route": "/predict"')
    finally:
        assert server.stop() == 0
    access = json.loads(line[line.index("{") :])
    assert access["request_id"] == rid["request_id"] and access["version"] == "0.1.0"


def test_an_unknown_log_format_is_a_usage_error(tmp_path: Path) -> None:
    proc = serve_once(["demo@production", "--log-format", "jsn"], tmp_path)
    assert proc.returncode == 2
    assert "--log-format" in proc.stderr and "text, json" in proc.stderr
    assert "'jsn'" in proc.stderr and "did you mean 'json'" in proc.stderr


def test_serve_refuses_a_bad_log_format_or_workers_for_an_object() -> None:
    with pytest.raises(hf.ServeError, match="did you mean 'json'"):
        hf.serve.serve(price_predictor(), log_format="jsno")
    with pytest.raises(hf.ServeError, match="needs the model as 'name@alias'"):
        hf.serve.serve(price_predictor(), workers=2)
    with pytest.raises(hf.ServeError, match="workers must be >= 1, but got 0"):
        hf.serve.serve("demo@production", workers=0)
