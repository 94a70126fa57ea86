"""Operations files of a bundle: a Grafana dashboard and Prometheus alert rules.

Both read the metrics a hyperflow service exports on ``/metrics``
(``hyperflow_requests_total``, ``hyperflow_request_duration_seconds``,
``hyperflow_predictions_total``, ``hyperflow_prediction_log_dropped_total``, the
process collector's ``process_*``), selected by the Kubernetes ``job``/``app`` label
of the bundle's pods.
"""

from __future__ import annotations

import json
from typing import Any

from hyperflow.deploy._yaml import to_yaml

__all__ = ["grafana_dashboard", "prometheus_rules"]


def _selector(app: str) -> str:
    return f'app_kubernetes_io_name="{app}"'


def _panel(pid: int, title: str, exprs: list[tuple[str, str]], unit: str) -> dict[str, Any]:
    return {
        "id": pid,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": 12 * ((pid - 1) % 2), "y": 8 * ((pid - 1) // 2)},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(exprs)
        ],
    }


def grafana_dashboard(info: dict[str, Any]) -> str:
    """A Grafana dashboard (JSON model) for the bundle's model."""
    s = _selector(info["kube_name"])
    lat = f"sum by (le) (rate(hyperflow_request_duration_seconds_bucket{{{s}}}[5m]))"
    panels = [
        _panel(1, "Requests by status", [
            (f"sum by (status) (rate(hyperflow_requests_total{{{s}}}[5m]))", "{{status}}")
        ], "reqps"),
        _panel(2, "Latency", [
            (f"histogram_quantile(0.5, {lat})", "p50"),
            (f"histogram_quantile(0.99, {lat})", "p99"),
        ], "s"),
        _panel(3, "Predictions by class", [
            (f"sum by (label) (rate(hyperflow_predictions_total{{{s}}}[5m]))", "{{label}}")
        ], "ops"),
        _panel(4, "CPU and memory", [
            (f"sum(rate(process_cpu_seconds_total{{{s}}}[5m]))", "CPU cores"),
            (f"sum(process_resident_memory_bytes{{{s}}}) / 2^30", "resident GiB"),
        ], "short"),
        _panel(5, "Prediction log", [
            (f"sum(hyperflow_prediction_log_pending{{{s}}})", "pending"),
            (f"sum(rate(hyperflow_prediction_log_dropped_total{{{s}}}[5m]))", "dropped/s"),
        ], "short"),
        _panel(6, "Model version", [
            (f"max by (version) (hyperflow_model_info{{{s}}})", "{{version}}")
        ], "short"),
    ]
    dashboard = {
        "title": f"hyperflow · {info['name']}",
        "uid": f"hf-{info['kube_name']}"[:40],
        "tags": ["hyperflow", info["name"]],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data"}
            ]
        },
        "panels": panels,
    }
    return json.dumps(dashboard, indent=2) + "\n"


def _rule(alert: str, expr: str, for_: str, severity: str, summary: str) -> dict[str, Any]:
    return {
        "alert": alert,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity},
        "annotations": {"summary": summary},
    }


def prometheus_rules(info: dict[str, Any]) -> str:
    """Prometheus alert rules: error rate, p99 latency, dropped log entries, drift share."""
    s, name = _selector(info["kube_name"]), info["name"]
    errors = (
        f'sum(rate(hyperflow_requests_total{{{s},status=~"5.."}}[5m])) '
        f"/ clamp_min(sum(rate(hyperflow_requests_total{{{s}}}[5m])), 1e-9) > 0.01"
    )
    p99 = (
        "histogram_quantile(0.99, sum by (le) "
        f"(rate(hyperflow_request_duration_seconds_bucket{{{s}}}[5m]))) > 0.25"
    )
    rules = [
        _rule(f"{info['kube_name']}-error-rate", errors, "5m", "page",
              f"{name}: more than 1% of requests fail with 5xx"),
        _rule(f"{info['kube_name']}-latency-p99", p99, "10m", "warning",
              f"{name}: p99 latency above 250 ms"),
        _rule(f"{info['kube_name']}-log-dropped",
              f"sum(rate(hyperflow_prediction_log_dropped_total{{{s}}}[10m])) > 0", "10m",
              "warning", f"{name}: predictions are being dropped from the prediction log"),
        _rule(f"{info['kube_name']}-drift-share", f"max(hyperflow_drift_share{{{s}}}) > 0.3",
              "30m", "warning", f"{name}: more than 30% of monitored features drift"),
    ]
    return to_yaml({"groups": [{"name": f"hyperflow-{info['kube_name']}", "rules": rules}]})
