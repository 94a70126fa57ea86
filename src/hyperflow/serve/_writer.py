"""``LogWriter``: a bounded queue drained by a background thread that writes in batches.

The request path only calls ``submit``: one ``deque.append`` (atomic, no lock
and no wake-up of the writer, so the writer thread takes the GIL a few times a
second instead of once per request); JSON encoding and the log's ``write``
happen on the writer thread, which drains the queue every ``flush_interval_s``
(sooner when a batch is full). When the queue is full a record is dropped and
counted rather than making the request wait. A log kept in a database is written
by a child process instead (``process=True``, as the server does; see
``_log_process``): the thread then only pickles each batch and sends it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hyperflow.serve._log_process import LogProcess
from hyperflow.store import FeedbackRecord, PredictionLog, PredictionRecord

__all__ = ["DEFAULT_LOG_BATCH_SIZE", "DEFAULT_LOG_QUEUE_SIZE", "LogWriter", "to_json"]

DEFAULT_LOG_QUEUE_SIZE = 100_000
DEFAULT_LOG_BATCH_SIZE = 1_000
_log = logging.getLogger("hyperflow.serve")


def _default(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return repr(value)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


_ENCODER = json.JSONEncoder(default=_default, allow_nan=False, separators=(",", ":"))
"""Made once: ``json.dumps`` with options builds an encoder per call (twice per request)."""


def to_json(value: Any) -> str:
    """Strict JSON text for ``value``: numpy converted, NaN and infinities as ``null``."""
    try:
        return _ENCODER.encode(value)
    except ValueError:
        plain = json.loads(json.dumps(value, default=_default))
        return json.dumps(_finite(plain), allow_nan=False, separators=(",", ":"))


class LogWriter:
    """Writes predictions and feedback to a ``PredictionLog`` off the request path.

    Args:
        log: where records go.
        max_queue: records held at most; beyond that ``submit`` drops and counts.
        batch_size: records written per ``log.write`` call at most.
        flush_interval_s: longest time a record waits before its batch is written.
        on_drop: called with the number of records dropped (for metrics).
        process: write a log kept in a database from a child process (``LogProcess``),
            so the server's event loop does not wait for the GIL at each database call;
            other logs are written by the thread either way.
    """

    def __init__(
        self,
        log: PredictionLog,
        *,
        max_queue: int = DEFAULT_LOG_QUEUE_SIZE,
        batch_size: int = DEFAULT_LOG_BATCH_SIZE,
        flush_interval_s: float = 0.2,
        on_drop: Callable[[int], None] | None = None,
        process: bool = False,
    ) -> None:
        self.log = log
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.dropped = 0
        self._written = 0
        self._failed = 0
        self._process = process
        self._child: LogProcess | None = None
        self._on_drop = on_drop
        self.max_queue = max_queue
        self._items: deque[tuple[Any, ...]] = deque()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._process and self._child is None and LogProcess.suits(self.log):
            self._child = LogProcess(self.log)
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name="hyperflow-prediction-log", daemon=True
            )
            self._thread.start()

    @property
    def pending(self) -> int:
        """Predictions and feedback queued, and predictions the writer process holds."""
        child = self._child
        return len(self._items) + (child.in_flight if child is not None else 0)

    @property
    def written(self) -> int:
        """Predictions written so far (by this thread and the writer process)."""
        child = self._child
        return self._written + (child.written if child is not None else 0)

    @property
    def failed(self) -> int:
        """Records that could not be encoded or written (lost)."""
        child = self._child
        return self._failed + (child.failed if child is not None else 0)

    def submit(
        self,
        request_id: str,
        model: str,
        version: str | None,
        timestamp: float,
        latency_ms: float,
        inputs: Any,
        output: Any,
        arm: str | None = None,
        status: int = 200,
    ) -> None:
        """Queue one prediction (never blocks); ``arm`` and ``status``: see ``PredictionRecord``."""
        self._put(
            ("p", request_id, model, version, timestamp, latency_ms, inputs, output, arm, status)
        )

    def submit_feedback(self, request_id: str, ground_truth: Any, timestamp: float) -> None:
        """Queue ground truth for an earlier prediction (never blocks)."""
        self._put(("f", request_id, ground_truth, timestamp))

    def _put(self, item: tuple[Any, ...]) -> None:
        items = self._items
        if len(items) >= self.max_queue:
            self.dropped += 1
            if self._on_drop is not None:
                self._on_drop(1)
            return
        items.append(item)
        if len(items) == self.batch_size:  # a full batch: write it now
            self._wake.set()

    def close(self, timeout_s: float = 30.0) -> None:
        """Write everything queued so far, then stop the thread."""
        if self._thread is None:
            self._drain_all()
            return
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout_s)
        self._thread = None
        if self._child is not None:
            self._child.close(timeout_s)

    def _drain_all(self) -> None:
        items = self._items
        while items:
            batch: list[Any] = []
            while items and len(batch) < self.batch_size:
                batch.append(items.popleft())
            child = self._child
            if child is None or not child.send(batch):
                self.write_items(batch)

    def _loop(self) -> None:
        while True:
            self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            stop = self._stopping
            self._drain_all()
            if stop:
                return

    def write_items(self, items: list[Any]) -> None:
        """Encode and write queued items on the calling thread (the writer process's loop)."""
        if not items:
            return
        preds: list[PredictionRecord] = []
        feedback: list[FeedbackRecord] = []
        for it in items:
            try:
                if it[0] == "p":
                    _, rid, model, version, ts, latency, inputs, output, arm, status = it
                    preds.append(
                        PredictionRecord(
                            rid,
                            model,
                            version,
                            datetime.fromtimestamp(ts, UTC),
                            latency,
                            to_json(inputs),
                            to_json(output),
                            arm,
                            status,
                        )
                    )
                else:
                    _, rid, truth, ts = it
                    feedback.append(
                        FeedbackRecord(rid, to_json(truth), datetime.fromtimestamp(ts, UTC))
                    )
            except Exception:  # a value that cannot be encoded must not stop the log
                _log.exception("prediction log: cannot encode a record; dropped")
                self._failed += 1
        try:
            if preds:
                self.log.write(preds)
                self._written += len(preds)
            if feedback:
                self.log.write_feedback(feedback)
        except Exception:
            self._failed += len(preds) + len(feedback)
            _log.exception("prediction log: writing %d records failed; they are lost", len(preds))
