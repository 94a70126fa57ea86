"""``hf.start_run``: a run being recorded, for notebooks and scripts.

Every ``log_*`` call is committed to the store before it returns, so a process
killed afterwards loses nothing. A background heartbeat marks the owner alive;
a run whose owner is gone is reported ``failed`` (abandoned) on the next read.
"""

from __future__ import annotations

import contextvars
import math
import os
import socket
import threading
import time
import traceback as tb
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from hyperflow._errors import TrackingError
from hyperflow._ids import random_id
from hyperflow.store import (
    ArtifactRecord,
    ArtifactStore,
    MetadataStore,
    MetricPoint,
    RunRecord,
    get_artifact_store,
    get_store,
    serialize,
    type_name,
)
from hyperflow.tracking._lineage import environment, git_state
from hyperflow.tracking._pruned import pruned_by

__all__ = ["ActiveRun", "active_run", "new_run_id", "start_run"]

HOST = socket.gethostname()
_END_STATUSES = ("finished", "failed", "pruned")
_current: contextvars.ContextVar[ActiveRun | None] = contextvars.ContextVar(
    "hyperflow_active_run", default=None
)


def new_run_id() -> str:
    """A random 128-bit run id in hex (the one id generator, ``hyperflow._ids``)."""
    return random_id()


def heartbeat_seconds() -> float:
    """Seconds between heartbeats (``HYPERFLOW_HEARTBEAT_SECONDS``, default 10)."""
    return float(os.environ.get("HYPERFLOW_HEARTBEAT_SECONDS", "10"))


def active_run() -> ActiveRun | None:
    """The innermost run opened with ``hf.start_run`` in this context, if any."""
    return _current.get()


class ActiveRun:
    """A run being recorded. Use it as a context manager (see :func:`start_run`).

    Attributes:
        id: the run id (32 hex chars).
        store: the metadata store it writes to.
        artifacts: the artifact store its artifacts go to.
    """

    def __init__(
        self,
        *,
        store: MetadataStore,
        artifacts: ArtifactStore,
        run_id: str,
        name: str | None,
    ) -> None:
        self.id = run_id
        self.name = name
        self.store = store
        self.artifacts = artifacts
        self.status = "running"
        self._steps: dict[str, int] = {}
        self._lock = threading.Lock()
        self._token: contextvars.Token[ActiveRun | None] | None = None
        self.on_beat: list[Any] = []

    def __repr__(self) -> str:
        return f"ActiveRun(id={self.id!r}, name={self.name!r}, status={self.status!r})"

    # -- logging --------------------------------------------------------------------------
    def _check_open(self, what: str) -> None:
        if self.status != "running":
            raise TrackingError(
                f"cannot {what}: run {self.id!r} has ended ({self.status}); "
                "log inside the `with hf.start_run(...)` block or start a new run"
            )

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Record parameters (JSON-able values; later calls overwrite keys)."""
        self._check_open("log params")
        self.store.log_params(self.id, dict(params))

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """Record metric values; without ``step`` each key's step counts up from 0.

        Raises:
            TrackingError: a value is not a real number, or is NaN.
        """
        self._check_open("log metrics")
        now = time.time()
        points = []
        with self._lock:
            for key, value in metrics.items():
                try:
                    v = float(value)
                except (TypeError, ValueError):
                    raise TrackingError(
                        f"metric {key!r} must be a number, but got {type(value).__name__} "
                        f"{value!r}; log numbers (or store objects with log_artifact)"
                    ) from None
                if math.isnan(v):
                    raise TrackingError(f"metric {key!r} is NaN; log a real number")
                s = step if step is not None else self._steps.get(key, -1) + 1
                self._steps[key] = max(s, self._steps.get(key, -1))
                points.append(MetricPoint(str(key), v, int(s), now))
        self.store.log_metrics(self.id, points)

    def log_metric(self, key: str, value: float, step: int | None = None) -> None:
        """Record one metric value (see :meth:`log_metrics`)."""
        self.log_metrics({key: value}, step=step)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Attach string tags (values are converted with ``str``)."""
        self._check_open("set tags")
        self.store.set_tags(self.id, {str(k): str(v) for k, v in tags.items()})

    def log_artifact(self, obj: Any, name: str) -> ArtifactRecord:
        """Store ``obj`` content-addressed under ``name`` (format chosen by type)."""
        self._check_open("log an artifact")
        data, fmt = serialize(obj)
        digest = self.artifacts.put(data)
        record = ArtifactRecord(name, digest, fmt, len(data), type_name(obj))
        self.store.log_artifact(self.id, record)
        return record

    # -- life cycle -----------------------------------------------------------------------
    def _beat_once(self) -> None:
        for callback in self.on_beat:
            callback()
        self.store.heartbeat(self.id, time.time())

    def _begin(self) -> None:
        _HEART.add(self)

    def end(
        self,
        status: str = "finished",
        *,
        error: BaseException | str | None = None,
        failed_node: str | None = None,
    ) -> None:
        """Close the run as ``finished``, ``failed`` or ``pruned`` (idempotent).

        ``pruned``: a search's pruner stopped it early (see ``hf.report``).
        """
        if self.status != "running":
            return
        if status not in _END_STATUSES:
            raise TrackingError(
                f"a run ends {', '.join(map(repr, _END_STATUSES))}, not {status!r}"
            )
        _HEART.discard(self)
        for callback in self.on_beat:
            callback()
        trace = None
        text = None
        if isinstance(error, BaseException):
            text = f"{type(error).__name__}: {error}"
            trace = "".join(tb.format_exception(error))
        elif error is not None:
            text = str(error)
        self.status = status
        self.store.end_run(
            self.id,
            status=status,
            end_time=time.time(),
            error=text,
            failed_node=failed_node,
            traceback=trace,
        )

    def __enter__(self) -> ActiveRun:
        self._token = _current.set(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        if self._token is not None:
            _current.reset(self._token)
            self._token = None
        if exc is None:
            self.end("finished")
        elif pruned_by(exc) is not None:  # a pruner stopped it: not a failure
            self.end("pruned", error=pruned_by(exc))
        else:
            self.end("failed", error=exc, failed_node=getattr(exc, "node", None))


class _Heart:
    """One daemon thread per process beats for every open run."""

    def __init__(self) -> None:
        self._runs: set[ActiveRun] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def add(self, run: ActiveRun) -> None:
        with self._lock:
            self._runs.add(run)
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._loop, name="hyperflow-heartbeat", daemon=True
                )
                self._thread.start()

    def discard(self, run: ActiveRun) -> None:
        with self._lock:
            self._runs.discard(run)

    def _loop(self) -> None:
        while True:
            time.sleep(heartbeat_seconds())
            with self._lock:
                runs = list(self._runs)
            for run in runs:
                try:
                    run._beat_once()
                except Exception:  # the store may be briefly unreachable; try again later
                    continue


_HEART = _Heart()


def open_run(
    name: str | None,
    *,
    pipeline: str | None = None,
    parent_run: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
    lineage: Mapping[str, Any] | None = None,
    seed: int | None = None,
    store: MetadataStore | str | None = None,
    artifact_store: ArtifactStore | str | None = None,
    run_id: str | None = None,
) -> ActiveRun:
    """Create the run in the store and start its heartbeat (``start_run`` without ``with``)."""
    meta = get_store(store)
    arts = get_artifact_store(artifact_store)
    parent = parent_run
    now = time.time()
    doc: dict[str, Any] = {"environment": environment(), "git": git_state(), "seed": seed}
    doc.update(lineage or {})
    if parent is None and (outer := active_run()) is not None:
        parent = outer.id
    run = ActiveRun(store=meta, artifacts=arts, run_id=run_id or new_run_id(), name=name)
    meta.create_run(
        RunRecord(
            run_id=run.id,
            status="running",
            start_time=now,
            name=name,
            pipeline=pipeline,
            parent_id=parent,
            pid=os.getpid(),
            host=HOST,
            heartbeat=now,
            config=dict(config or {}),
            lineage=doc,
            params=dict(params or {}),
            tags={str(k): str(v) for k, v in (tags or {}).items()},
        )
    )
    run._begin()
    return run


def start_run(
    name: str | None = None,
    *,
    parent_run: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    seed: int | None = None,
    store: MetadataStore | str | None = None,
    artifact_store: ArtifactStore | str | None = None,
    parent: str | None = None,
    artifacts: ArtifactStore | str | None = None,
) -> ActiveRun:
    """Start recording a run; use it with ``with``, it ends when the block does.

    Args:
        name: a label for the run (searchable as ``name``).
        parent_run: the id of a parent run (default: the enclosing ``start_run``, if any),
            the same word as ``Pipeline.run(parent_run=)`` and ``hf.runs.search(parent_run=)``.
        params, tags: recorded at once.
        seed: the random seed, kept in the run's lineage.
        store: ``None`` (``HYPERFLOW_STORE`` or ``.hyperflow/hyperflow.db``), a URL or a store.
        artifact_store: ``None`` (``HYPERFLOW_ARTIFACTS`` or ``.hyperflow/artifacts``), a
            path/URL or an artifact store.
        parent, artifacts: deprecated spellings of ``parent_run`` and ``artifact_store``
            (``artifacts=`` names artifacts elsewhere, e.g. ``registry.register``).

    Example:
        >>> import hyperflow as hf, tempfile
        >>> db = f"sqlite:///{tempfile.mkdtemp()}/runs.db"  # default: .hyperflow/
        >>> with hf.start_run("notebook", store=db, artifact_store=tempfile.mkdtemp()) as run:
        ...     run.log_params({"model": "lr"})
        ...     run.log_metrics({"f1": 0.91})
        >>> hf.runs.get(run.id, store=db).metrics
        {'f1': 0.91}
    """
    parent_run = _renamed("parent", parent, "parent_run", parent_run)
    artifact_store = _renamed("artifacts", artifacts, "artifact_store", artifact_store)
    return open_run(
        name,
        parent_run=parent_run,
        params=params,
        tags=tags,
        seed=seed,
        store=store,
        artifact_store=artifact_store,
    )


def _renamed(old: str, old_value: Any, new: str, new_value: Any) -> Any:
    """``new_value``, or ``old_value`` with a DeprecationWarning (one release) when given."""
    if old_value is None:
        return new_value
    import warnings

    if new_value is not None:
        raise TrackingError(f"pass {new}= only ({old}= is its deprecated spelling), not both")
    warnings.warn(
        f"start_run({old}=...) is deprecated and will be removed in the next release; "
        f"use {new}=...",
        DeprecationWarning,
        stacklevel=3,
    )
    return old_value
