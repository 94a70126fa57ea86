"""/metrics carries the process collector (CPU, memory, open files, GC) and CPU per prediction."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from hyperflow.serve import create_app
from tests.serve.models import price_predictor


def test_metrics_include_process_gc_and_cpu_seconds_per_prediction() -> None:
    app = create_app(price_predictor(), prediction_log="memory://", poll_interval_s=None)
    with TestClient(app) as client:
        for rooms in range(5):
            assert client.post("/predict", json={"rooms": rooms, "area": 1.0}).status_code == 200
        text = client.get("/metrics").text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name in (
        "process_cpu_seconds",
        "process_resident_memory_bytes",
        "process_open_fds",
        "python_gc_collections",
        "hyperflow_cpu_seconds_per_prediction",
    ):
        assert name in families, sorted(families)
    cost = families["hyperflow_cpu_seconds_per_prediction"].samples[0].value
    assert 0 < cost < families["process_cpu_seconds"].samples[0].value
