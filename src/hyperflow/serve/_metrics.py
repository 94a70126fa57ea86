"""Prometheus metrics of one service (each app has its own registry).

With ``PROMETHEUS_MULTIPROC_DIR`` set (``hyperflow serve --workers N`` sets it up),
prometheus-client's multiprocess mode is on: every worker writes its values to
files there and ``/metrics`` in any worker renders the sum over all of them
(see ``_multiproc``). Process metrics are then per-worker values kept in those
files too, since prometheus-client's own process collector sees one process.
"""

from __future__ import annotations

import numbers
import os
import threading
from typing import Any

from hyperflow.serve._multiproc import multiproc_dir, render_multiprocess, worker_process_metrics

__all__ = ["ServeMetrics"]

_LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
_MAX_CLASSES = 100


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def _is_class_type(tp: Any) -> bool:
    return tp in (str, int, bool)


class ServeMetrics:
    """Requests by route and status, latency, batch sizes, predictions, model info."""

    def __init__(self, output_type: Any) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary

        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "hyperflow_requests",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "hyperflow_request_duration_seconds",
            "HTTP request latency by route",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "hyperflow_batch_size",
            "Rows per predict pipeline call",
            buckets=_BATCH_BUCKETS,
            registry=r,
        )
        self.predictions = Counter(
            "hyperflow_predictions",
            "Predictions served, by predicted class where the output is a label",
            ["prediction"],
            registry=r,
        )
        self.values = Summary(
            "hyperflow_prediction_value", "Numeric predictions served", registry=r
        )
        self.model_info = Gauge(
            "hyperflow_model_info",
            "The model version being served (value 1; one sample per worker with --workers)",
            ["name", "version", "alias", "code_version"],
            registry=r,
            multiprocess_mode="liveall",
        )
        self.reloads = Counter(
            "hyperflow_model_reloads", "Model reloads by outcome", ["outcome"], registry=r
        )
        self.log_dropped = Counter(
            "hyperflow_prediction_log_dropped",
            "Predictions not logged (queue full)",
            registry=r,
        )
        self._ops_metrics(r)
        self._version_metrics(r)
        self._classes = _is_class_type(output_type)
        self._numeric = output_type is float
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._children: dict[tuple[str, str, int], Any] = {}
        self._latency_children: dict[str, Any] = {}
        self._class_children: dict[str, Any] = {}

    def _version_metrics(self, r: Any) -> None:
        """Predictions and latency by the version that answered and its traffic arm."""
        from prometheus_client import Counter, Histogram

        self.arm_requests = Counter(
            "hyperflow_version_predictions",
            "Predictions by the version that answered, traffic arm and HTTP status",
            ["version", "arm", "status"],
            registry=r,
        )
        self.arm_latency = Histogram(
            "hyperflow_version_prediction_duration_seconds",
            "Prediction latency by the version that answered and traffic arm",
            ["version", "arm"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.shadow_dropped = Counter(
            "hyperflow_shadow_dropped",
            "Shadow copies of requests not run (shadow queue full)",
            registry=r,
        )
        self._arm_children: dict[tuple[str | None, str, int], tuple[Any, Any]] = {}

    def _ops_metrics(self, r: Any) -> None:
        """Log queue, cache lookups, and process figures (per worker in multiprocess mode)."""
        from prometheus_client import Counter, Gauge

        self.log_pending = Gauge(
            "hyperflow_prediction_log_pending",
            "Predictions queued for the log",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.cached = Counter(
            "hyperflow_cache_lookups",
            "Response cache lookups by result (hit, miss)",
            ["result"],
            registry=r,
        )
        self.predicted = 0
        self._multiproc = multiproc_dir()
        self._worker = worker_process_metrics(r) if self._multiproc else None
        if self._multiproc is None:
            self._process_metrics(r)

    def _process_metrics(self, r: Any) -> None:
        """CPU, memory, open files and GC of this process, and CPU seconds per prediction."""
        from prometheus_client import GC_COLLECTOR, PROCESS_COLLECTOR, Gauge

        for collector in (PROCESS_COLLECTOR, GC_COLLECTOR):
            r.register(collector)
        start = _cpu_seconds()
        cost = Gauge(
            "hyperflow_cpu_seconds_per_prediction",
            "Process CPU seconds (user + system) since start per prediction served",
            registry=r,
        )
        cost.set_function(lambda: (_cpu_seconds() - start) / max(self.predicted, 1))

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.requests.labels(route, method, str(status))
        child.inc()
        lat = self._latency_children.get(route)
        if lat is None:
            lat = self._latency_children[route] = self.latency.labels(route)
        lat.observe(seconds)

    def observe_arm(self, version: str | None, arm: str, status: int, seconds: float) -> None:
        """Count one prediction of ``version`` on traffic ``arm`` ("" without a policy)."""
        key = (version, arm, status)
        children = self._arm_children.get(key)
        if children is None:
            children = self._arm_children[key] = (
                self.arm_requests.labels(version or "", arm, str(status)),
                self.arm_latency.labels(version or "", arm),
            )
        children[0].inc()
        children[1].observe(seconds)

    def observe_predictions(self, values: list[Any]) -> None:
        self.predicted += len(values)
        if self._classes:
            for v in values:
                label = str(v)
                if label not in self._seen:
                    with self._lock:
                        if len(self._seen) >= _MAX_CLASSES:
                            label = "_other"
                        else:
                            self._seen.add(label)
                child = self._class_children.get(label)
                if child is None:
                    child = self._class_children[label] = self.predictions.labels(label)
                child.inc()
        else:
            self.predictions.labels("_all").inc(len(values))
            if self._numeric:
                for v in values:
                    if isinstance(v, numbers.Real):
                        self.values.observe(float(v))

    def set_model(
        self, name: str, version: str | None, alias: str | None, code: str | None
    ) -> None:
        if self._multiproc is not None:  # files keep every sample: the old one drops to 0
            for labels in list(self.model_info._metrics):
                self.model_info.labels(*labels).set(0)
        else:
            self.model_info.clear()
        self.model_info.labels(name, version or "", alias or "", code or "").set(1)

    def render(self) -> tuple[bytes, str]:
        """The exposition text; with multiprocess mode, summed over every worker."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        if self._multiproc is not None:
            if self._worker is not None:
                self._worker.update()
            return render_multiprocess(self._multiproc), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
