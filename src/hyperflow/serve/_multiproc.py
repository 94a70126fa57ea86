"""prometheus-client's multiprocess mode for ``hyperflow serve --workers N``.

Every worker writes its metric values to files in ``PROMETHEUS_MULTIPROC_DIR``;
``/metrics`` in any worker reads all of them (``MultiProcessCollector``): counters
and histograms are summed over the workers (dead ones included, so totals never go
back), live gauges over the workers alive. prometheus-client's process and GC
collectors only see the process that answers, so each worker keeps its own CPU,
memory, open files and GC figures in the shared files (``WorkerProcessMetrics``,
refreshed every second and on each scrape), and CPU seconds per prediction is
computed from the sums when rendering.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

__all__ = [
    "MULTIPROC_ENV",
    "WorkerProcessMetrics",
    "multiproc_dir",
    "render_multiprocess",
    "worker_process_metrics",
]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_REFRESH_S = 1.0


def multiproc_dir() -> str | None:
    """The multiprocess folder when multiprocess mode is on, else ``None``."""
    return os.environ.get(MULTIPROC_ENV) or os.environ.get(MULTIPROC_ENV.lower()) or None


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def _rss_bytes() -> float:
    try:
        with open("/proc/self/statm", "rb") as f:
            return float(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, IndexError):  # not Linux: the peak size instead
        import resource

        return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def _open_fds() -> float:
    try:
        return float(len(os.listdir("/proc/self/fd")))
    except OSError:
        return float("nan")


class WorkerProcessMetrics:
    """CPU, memory, open files and GC of this worker, written to the multiprocess files."""

    def __init__(self, registry: Any) -> None:
        from prometheus_client import Counter, Gauge

        self.cpu = Counter(
            "process_cpu_seconds", "CPU seconds of the workers (user + system)", registry=registry
        )
        self.serving_cpu = Counter(
            "hyperflow_serving_cpu_seconds",
            "CPU seconds of the workers since their service started",
            registry=registry,
        )
        self.memory = Gauge(
            "process_resident_memory_bytes",
            "Resident memory of the live workers, summed",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.fds = Gauge(
            "process_open_fds",
            "Open file descriptors of the live workers, summed",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.workers = Gauge(
            "hyperflow_workers",
            "Live worker processes",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.gc = Counter(
            "python_gc_collections",
            "Garbage collections by generation, summed over the workers",
            ["generation"],
            registry=registry,
        )
        self.workers.set(1)
        self._start = _cpu_seconds()
        self._cpu_seen = 0.0
        self._gc_seen = [0] * len(gc.get_stats())
        self._lock = threading.Lock()
        self.update()
        threading.Thread(target=self._loop, name="hyperflow-worker-metrics", daemon=True).start()

    def update(self) -> None:
        """Bring this worker's figures up to date (counters grow by what happened since)."""
        with self._lock:
            cpu = _cpu_seconds()
            self.cpu.inc(max(cpu - self._cpu_seen, 0.0))
            self.serving_cpu.inc(max(cpu - max(self._cpu_seen, self._start), 0.0))
            self._cpu_seen = cpu
            self.memory.set(_rss_bytes())
            self.fds.set(_open_fds())
            for generation, stats in enumerate(gc.get_stats()):
                done = stats.get("collections", 0)
                self.gc.labels(str(generation)).inc(max(done - self._gc_seen[generation], 0))
                self._gc_seen[generation] = done

    def _loop(self) -> None:
        while True:
            time.sleep(_REFRESH_S)
            self.update()


def worker_process_metrics(registry: Any) -> WorkerProcessMetrics:
    """Start keeping this worker's process figures in the multiprocess files."""
    return WorkerProcessMetrics(registry)


def _sum(families: list[Any], name: str) -> float:
    return sum(  # type: ignore[no-any-return]
        s.value for f in families if f.name == name for s in f.samples if s.name == f"{name}_total"
    )


class _Aggregated:
    """Every worker's metrics summed, plus CPU seconds per prediction derived from them."""

    def __init__(self, path: str) -> None:
        from prometheus_client.multiprocess import MultiProcessCollector

        self._collector = MultiProcessCollector(None, path)  # type: ignore[no-untyped-call]

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        families = list(self._collector.collect())  # type: ignore[no-untyped-call]
        yield from families
        cpu = _sum(families, "hyperflow_serving_cpu_seconds")
        predicted = _sum(families, "hyperflow_predictions")
        yield GaugeMetricFamily(
            "hyperflow_cpu_seconds_per_prediction",
            "Workers' CPU seconds (user + system) since start per prediction served",
            value=cpu / max(predicted, 1.0),
        )


def render_multiprocess(path: str) -> bytes:
    """The exposition text of every worker's metrics in ``path``, aggregated."""
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry()
    registry.register(_Aggregated(path))
    data: bytes = generate_latest(registry)
    return data
