"""The prediction log: every served prediction, and the feedback given for it.

``PredictionLog`` is the pluggable contract; ``SQLPredictionLog`` keeps it in
the metadata store (tables ``hf_predictions`` and ``hf_feedback``) and is the
default, ``InMemoryPredictionLog`` keeps it in the process. Serving writes
through a bounded background queue (``hyperflow.serve``); ``hf.predictions``
and monitoring read it back as DataFrames.
"""

from __future__ import annotations

import abc
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hyperflow._errors import StoreError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PREDICTION_COLUMNS",
    "FeedbackRecord",
    "InMemoryPredictionLog",
    "PredictionLog",
    "PredictionRecord",
    "SQLPredictionLog",
    "default_prediction_log",
    "get_prediction_log",
]

PREDICTION_COLUMNS = [
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


@dataclass(frozen=True, slots=True)
class PredictionRecord:
    """One served prediction. ``inputs`` and ``output`` are JSON text; ``timestamp`` is UTC.

    ``arm`` is ``None`` without a traffic policy, else ``"primary"``, ``"canary"`` or
    ``"shadow"``; ``status`` is the HTTP status of the answer (a failed prediction is a
    row too: 500 for an exception, 504 for a timeout, ``output`` then ``null``).
    """

    request_id: str
    model: str
    version: str | None
    timestamp: datetime
    latency_ms: float
    inputs: str
    output: str
    arm: str | None = None
    status: int = 200


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """The ground truth for an earlier prediction (``ground_truth`` is JSON text)."""

    request_id: str
    ground_truth: str
    timestamp: datetime


class PredictionLog(abc.ABC):
    """Contract of a prediction log.

    * ``write`` and ``write_feedback`` receive batches and must be safe to call
      from one background thread while ``search`` runs in others.
    * A record that was written is never changed by a later write; a later
      feedback for the same ``request_id`` replaces the earlier one.
    * ``search`` returns one row per prediction in timestamp order with the
      columns of ``PREDICTION_COLUMNS``: ``inputs``, ``output`` and
      ``ground_truth`` decoded from JSON (object columns), ``timestamp`` and
      ``feedback_at`` UTC datetimes, ``arm`` and ``status`` as written (rows written
      before they were recorded read ``None`` and 200); ``ground_truth`` is ``None`` and
      ``feedback_at`` ``NaT`` where no feedback came. ``since`` is inclusive, ``until``
      exclusive; ``limit`` keeps the most recent rows.
    """

    #: Whether other processes (workers, replicas) write to this log too, so that a
    #: ``request_id`` served by one of them may arrive a flush later; serving then waits
    #: for it before answering 404 to its feedback.
    shared: bool = True

    @abc.abstractmethod
    def write(self, records: Sequence[PredictionRecord]) -> None:
        """Append predictions."""

    @abc.abstractmethod
    def write_feedback(self, records: Sequence[FeedbackRecord]) -> None:
        """Record ground truth for earlier predictions."""

    @abc.abstractmethod
    def search(
        self,
        name: str,
        *,
        version: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Predictions of model ``name`` as a DataFrame, feedback joined."""

    def logged_at(self, request_id: str) -> datetime | None:
        """When the prediction ``request_id`` was logged (UTC), or ``None`` if it was not.

        Serving accepts feedback only for logged, unexpired request ids. The default
        finds nothing: a log that does not override this accepts feedback only for
        the predictions of the running process.
        """
        del request_id
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (default: nothing)."""


class InMemoryPredictionLog(PredictionLog):
    """Keeps predictions in this process (the default; tests, notebooks).

    Example:
        >>> from datetime import datetime, timezone
        >>> log = InMemoryPredictionLog()
        >>> now = datetime.now(timezone.utc)
        >>> log.write([PredictionRecord("r1", "m", "1.0.0", now, 1.5, '{"x": 1}', '"a"')])
        >>> log.write_feedback([FeedbackRecord("r1", '"b"', now)])
        >>> log.search("m")[["request_id", "output", "ground_truth"]].values.tolist()
        [['r1', 'a', 'b']]
    """

    shared = False  # this process only: nothing arrives from elsewhere

    def __init__(self) -> None:
        self._records: list[PredictionRecord] = []
        self._feedback: dict[str, FeedbackRecord] = {}
        self._when: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def write(self, records: Sequence[PredictionRecord]) -> None:
        with self._lock:
            self._records.extend(records)
            for r in records:
                self._when.setdefault(r.request_id, r.timestamp)

    def logged_at(self, request_id: str) -> datetime | None:
        with self._lock:
            return self._when.get(request_id)

    def write_feedback(self, records: Sequence[FeedbackRecord]) -> None:
        with self._lock:
            for r in records:
                self._feedback[r.request_id] = r

    def __len__(self) -> int:
        return len(self._records)

    def search(
        self,
        name: str,
        *,
        version: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        with self._lock:
            rows = [
                r
                for r in self._records
                if r.model == name
                and (version is None or r.version == version)
                and (since is None or r.timestamp >= since)
                and (until is None or r.timestamp < until)
            ]
            feedback = dict(self._feedback)
        rows.sort(key=lambda r: r.timestamp)
        if limit is not None:
            rows = rows[-limit:] if limit > 0 else []
        return to_frame(rows, feedback)


def to_frame(rows: Sequence[PredictionRecord], feedback: dict[str, FeedbackRecord]) -> pd.DataFrame:
    """Build the ``search`` DataFrame from records (shared by implementations)."""
    import pandas as pd

    fb = [feedback.get(r.request_id) for r in rows]
    columns: dict[str, Any] = {
        "request_id": pd.Series([r.request_id for r in rows], dtype=object),
        "model": pd.Series([r.model for r in rows], dtype=object),
        "version": pd.Series([r.version for r in rows], dtype=object),
        "timestamp": pd.to_datetime(pd.Series([r.timestamp for r in rows], dtype=object), utc=True),
        "latency_ms": pd.Series([r.latency_ms for r in rows], dtype=float),
        "inputs": pd.Series([json.loads(r.inputs) for r in rows], dtype=object),
        "output": pd.Series([json.loads(r.output) for r in rows], dtype=object),
        "ground_truth": pd.Series(
            [json.loads(f.ground_truth) if f else None for f in fb], dtype=object
        ),
        "feedback_at": pd.to_datetime(
            pd.Series([f.timestamp if f else None for f in fb], dtype=object), utc=True
        ),
        "arm": pd.Series([r.arm for r in rows], dtype=object),
        "status": pd.Series([r.status for r in rows], dtype="int64"),
    }
    return pd.DataFrame(columns)


class SQLPredictionLog(PredictionLog):
    """The prediction log in the metadata store (SQLite by default, PostgreSQL alike).

    Args:
        store: a ``SQLStore``, a store URL, or ``None`` for the default store.

    Example:
        >>> import tempfile
        >>> from datetime import datetime, timezone
        >>> log = SQLPredictionLog(f"sqlite:///{tempfile.mkdtemp()}/p.db")
        >>> now = datetime.now(timezone.utc)
        >>> log.write([PredictionRecord("r1", "m", "1.0.0", now, 1.5, '{"x": 1}', '2.5')])
        >>> log.search("m")[["request_id", "inputs", "output"]].values.tolist()
        [['r1', {'x': 1}, 2.5]]
    """

    def __init__(self, store: Any = None) -> None:
        from hyperflow.store._factory import get_store
        from hyperflow.store._sql import SQLStore

        resolved = get_store(store)
        if not isinstance(resolved, SQLStore):
            raise StoreError(
                f"SQLPredictionLog needs a SQLStore (a sqlite:// or postgresql:// URL), but got "
                f"{type(resolved).__name__}; pass a URL or use InMemoryPredictionLog"
            )
        self.store = resolved

    def __repr__(self) -> str:
        return f"SQLPredictionLog({self.store.url!r})"

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        """Pickled as its URL (password included): the serving process hands the log to
        the process that writes it (``hyperflow.serve``), which opens its own engine."""
        return (SQLPredictionLog, (self.store.sqlalchemy_url,))

    def write(self, records: Sequence[PredictionRecord]) -> None:
        from hyperflow.store import _schema as S
        from hyperflow.store._bulk import insert_rows

        rows = [
            (
                r.request_id,
                r.model,
                r.version,
                r.timestamp.timestamp(),
                r.latency_ms,
                r.inputs,
                r.output,
                r.arm,
                r.status,
            )
            for r in records
        ]
        if rows:
            with self.store.transaction() as conn:
                insert_rows(conn, S.predictions, rows)

    def logged_at(self, request_id: str) -> datetime | None:
        from hyperflow.store import _schema as S

        p = S.predictions
        query = sa.select(sa.func.min(p.c.timestamp)).where(p.c.request_id == request_id)
        with self.store.engine.connect() as conn:
            ts = conn.execute(query).scalar()
        return None if ts is None else datetime.fromtimestamp(ts, UTC)

    def write_feedback(self, records: Sequence[FeedbackRecord]) -> None:
        from hyperflow.store import _schema as S

        latest = {r.request_id: r for r in records}  # the last one per request wins
        if not latest:
            return
        with self.store.transaction() as conn:
            conn.execute(S.feedback.delete().where(S.feedback.c.request_id.in_(list(latest))))
            conn.execute(
                S.feedback.insert(),
                [
                    {
                        "request_id": k,
                        "ground_truth": r.ground_truth,
                        "timestamp": r.timestamp.timestamp(),
                    }
                    for k, r in latest.items()
                ],
            )

    def search(
        self,
        name: str,
        *,
        version: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        from hyperflow.store import _schema as S

        p, f = S.predictions, S.feedback
        query = (
            sa.select(p, f.c.ground_truth, f.c.timestamp.label("feedback_ts"))
            .select_from(p.outerjoin(f, p.c.request_id == f.c.request_id))
            .where(p.c.model == name)
        )
        if version is not None:
            query = query.where(p.c.version == version)
        if since is not None:
            query = query.where(p.c.timestamp >= since.timestamp())
        if until is not None:
            query = query.where(p.c.timestamp < until.timestamp())
        if limit is not None:
            query = query.order_by(p.c.timestamp.desc(), p.c.id.desc()).limit(max(limit, 0))
        else:
            query = query.order_by(p.c.timestamp, p.c.id)
        with self.store.engine.connect() as conn:
            rows = conn.execute(query).all()
        if limit is not None:
            rows = rows[::-1]
        records = [
            PredictionRecord(
                r.request_id,
                r.model,
                r.version,
                datetime.fromtimestamp(r.timestamp, UTC),
                r.latency_ms,
                r.inputs,
                r.output,
                r.arm,
                200 if r.status is None else int(r.status),
            )
            for r in rows
        ]
        feedback = {
            r.request_id: FeedbackRecord(
                r.request_id, r.ground_truth, datetime.fromtimestamp(r.feedback_ts, UTC)
            )
            for r in rows
            if r.ground_truth is not None
        }
        return to_frame(records, feedback)


def default_prediction_log() -> PredictionLog:
    """The log used when none is named: the default metadata store, resolved now."""
    return SQLPredictionLog(None)


def get_prediction_log(
    log: str | PredictionLog | None, *, fields: Iterable[str] | None = None
) -> PredictionLog:
    """Resolve ``None`` (the default store), ``"memory://"`` (a new in-memory log),
    a store URL, or an instance; with the project's personal-data policy applied.

    When the project configures ``[tool.hyperflow.predictions] fields = {...}``, the
    log returned applies it to every record before writing (``PolicyPredictionLog``);
    ``fields``, the served model's input names, are checked against the policy.

    Example:
        >>> type(get_prediction_log("memory://")).__name__
        'InMemoryPredictionLog'
    """
    from hyperflow.store._log_policy import PolicyPredictionLog, project_log_policy

    resolved = _resolve_log(log)
    policy = project_log_policy()
    if policy is None or not policy.fields or isinstance(resolved, PolicyPredictionLog):
        return resolved
    if fields is not None:
        policy.check_fields(fields)
    return PolicyPredictionLog(resolved, policy)


def _resolve_log(log: str | PredictionLog | None) -> PredictionLog:
    if log is None:
        return default_prediction_log()
    if isinstance(log, PredictionLog):
        return log
    if isinstance(log, str):
        if log.startswith("memory://"):
            return InMemoryPredictionLog()
        return SQLPredictionLog(log)
    raise StoreError(
        f"a prediction log must be None, 'memory://', a store URL or a PredictionLog, but got "
        f"{type(log).__name__}; pass e.g. 'sqlite:///predictions.db'"
    )
