"""Reading a window of the prediction log in bounded memory.

SQL logs are read in keyset-paginated chunks; per chunk, the traffic columns are kept
whole (latency, outputs, feedback) while request inputs are decoded only for a uniform
sample of at most ``max_rows`` rows (the drift tests' share), so a window of a million
rows never holds a million decoded requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from hyperflow.monitor._profile import flatten_inputs
from hyperflow.store import PredictionLog, SQLPredictionLog
from hyperflow.store._monitor_sql import prediction_chunks, prediction_inputs

__all__ = ["Window", "read_window"]


@dataclass
class Window:
    """What a check needs of a window: traffic columns whole, inputs sampled."""

    latency: list[np.ndarray[Any, Any]] = field(default_factory=list)
    predicted: list[Any] = field(default_factory=list)
    truth: list[Any] = field(default_factory=list)
    truth_predicted: list[Any] = field(default_factory=list)
    sample_inputs: list[Any] = field(default_factory=list)
    sample_outputs: list[Any] = field(default_factory=list)
    sample_truth: list[Any] = field(default_factory=list)
    sample_ids: list[int] = field(default_factory=list)
    errors: int = 0
    versions: set[str] = field(default_factory=set)
    first: float | None = None
    last: float | None = None
    outputs_as_columns: bool = False
    """Service endpoints: a mapping output becomes ``output.<key>`` columns (e.g. a query
    embedding, tested with MMD) instead of one ``prediction`` label."""

    @property
    def n(self) -> int:
        return sum(a.size for a in self.latency)

    def sample_frame(self) -> pd.DataFrame:
        """The sampled requests as columns, with ``prediction`` and ``target`` where known."""
        frame = flatten_inputs(self.sample_inputs)
        if self.outputs_as_columns and all(isinstance(o, dict) for o in self.sample_outputs):
            outputs = self.sample_outputs
            for k in dict.fromkeys(k for o in outputs for k in o):
                frame[f"output.{k}"] = pd.Series([o.get(k) for o in outputs], dtype=object)
        else:
            frame["prediction"] = pd.Series(self.sample_outputs, dtype=object).map(_label)
        if any(t is not None for t in self.sample_truth):
            frame["target"] = pd.Series(self.sample_truth, dtype=object)
        return frame


def _label(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _add(w: Window, rows: list[Any], rng: np.random.Generator, fraction: float) -> None:
    """Rows are ``(id, version, timestamp, latency_ms, inputs, output, ground_truth)``;
    ``inputs`` may be ``None`` (then the sampled ids are kept, read later)."""
    w.latency.append(np.fromiter((r[3] for r in rows), float, len(rows)))
    w.first = rows[0][2] if w.first is None else min(w.first, rows[0][2])
    w.last = rows[-1][2] if w.last is None else max(w.last, rows[-1][2])
    w.versions.update({r[1] for r in rows if r[1] is not None})
    take = rng.random(len(rows)) < fraction
    loads = json.loads
    for r, keep in zip(rows, take, strict=True):
        text = r[5]
        if text == "null" or text.startswith('{"error"'):
            w.errors += 1
        if r[6] is None and not keep:
            continue
        out = loads(text)
        truth = loads(r[6]) if r[6] is not None else None
        if truth is not None:
            w.truth.append(truth)
            w.truth_predicted.append(_label(out))
        if keep:
            if r[4] is None:
                w.sample_ids.append(r[0])
            else:
                w.sample_inputs.append(loads(r[4]))
            w.sample_outputs.append(out)
            w.sample_truth.append(truth)


def _frame_rows(df: pd.DataFrame) -> Iterator[list[Any]]:
    dumps = json.dumps
    rows = [
        (n, v, ts.timestamp(), lat, dumps(i), dumps(o), None if g is None else dumps(g))
        for n, (v, ts, lat, i, o, g) in enumerate(zip(
            df["version"], df["timestamp"], df["latency_ms"], df["inputs"], df["output"],
            df["ground_truth"], strict=True,
        ))
    ]
    if rows:
        yield rows


def read_window(
    log: PredictionLog, name: str, *, versions: list[str] | None, since: datetime | None,
    until: datetime | None, last: int | None, max_rows: int, chunk_size: int, seed: int = 0,
    head: int | None = None, outputs_as_columns: bool = False,
) -> Window:
    """Read the window; ``last`` keeps the most recent rows, ``head`` the oldest (whole)."""
    w = Window(outputs_as_columns=outputs_as_columns)
    rng = np.random.default_rng(seed)
    chunks: Iterator[list[Any]]
    if isinstance(log, SQLPredictionLog) and last is None:
        total = head if head is not None else _count(log, name, versions, since, until)
        chunk_size = head if head is not None else chunk_size
        fraction = min(1.0, max_rows / total) if total else 1.0
        chunks = prediction_chunks(
            log.store, name, versions=versions, since=since, until=until,
            chunk_size=chunk_size, with_inputs=False,
        )
    else:
        df = _search(log, name, versions, since, until, last)
        df = df if head is None else df.iloc[:head]
        fraction = min(1.0, max_rows / len(df)) if len(df) else 1.0
        chunks = _frame_rows(df)
    for rows in chunks:
        _add(w, rows, rng, fraction)
        if head is not None:
            break
    if w.sample_ids and isinstance(log, SQLPredictionLog):  # the sampled requests only
        texts = prediction_inputs(log.store, w.sample_ids)
        w.sample_inputs = [json.loads(texts[i]) for i in w.sample_ids]
    return w


def _search(
    log: PredictionLog, name: str, versions: list[str] | None, since: datetime | None,
    until: datetime | None, last: int | None,
) -> pd.DataFrame:
    df = log.search(name, since=since, until=until, limit=None if versions else last)
    if versions:
        df = df[df["version"].isin(versions)]
        if last is not None:
            df = df.iloc[-last:]
    return df


def _count(
    log: SQLPredictionLog, name: str, versions: list[str] | None, since: datetime | None,
    until: datetime | None,
) -> int:
    import sqlalchemy as sa

    from hyperflow.store import _schema as S

    p = S.predictions
    q = sa.select(sa.func.count()).select_from(p).where(p.c.model == name)
    if versions is not None:
        q = q.where(p.c.version.in_(versions))
    if since is not None:
        q = q.where(p.c.timestamp >= since.timestamp())
    if until is not None:
        q = q.where(p.c.timestamp < until.timestamp())
    with log.store.engine.connect() as conn:
        return int(conn.execute(q).scalar() or 0)
