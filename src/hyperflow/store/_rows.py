"""Rows to records and back for ``SQLStore`` (runs and their params)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from hyperflow.store import _schema as S
from hyperflow.store._base import RunRecord, RunStatus

__all__ = ["param_row", "run_records"]

_CHUNK = 500


def param_row(run_id: str, key: str, value: Any) -> dict[str, Any]:
    """An ``hf_params`` row: the JSON value, its text form and its numeric form."""
    try:
        encoded = json.dumps(value)
    except (TypeError, ValueError):
        encoded = json.dumps(repr(value))
    num = float(value) if isinstance(value, int | float) else None
    text = value if isinstance(value, str) else encoded
    return {"run_id": run_id, "key": str(key), "value": encoded, "text": text, "num": num}


def run_records(conn: sa.Connection, rows: Sequence[Any]) -> list[RunRecord]:
    """Run records (params, latest metrics and tags filled in) for ``hf_runs`` rows."""
    recs: dict[str, RunRecord] = {}
    for r in rows:
        recs[r.run_id] = RunRecord(
            run_id=r.run_id,
            status=RunStatus(r.status),
            start_time=r.start_time,
            name=r.name,
            pipeline=r.pipeline,
            end_time=r.end_time,
            parent_id=r.parent_id,
            error=r.error,
            failed_node=r.failed_node,
            traceback=r.traceback,
            pid=r.pid,
            host=r.host,
            heartbeat=r.heartbeat,
            config=json.loads(r.config) if r.config else {},
        )
    ids = list(recs)
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        for p in conn.execute(
            sa.select(S.params.c.run_id, S.params.c.key, S.params.c.value).where(
                S.params.c.run_id.in_(chunk)
            )
        ):
            recs[p.run_id].params[p.key] = json.loads(p.value)
        for m in conn.execute(
            sa.select(
                S.latest_metrics.c.run_id, S.latest_metrics.c.key, S.latest_metrics.c.value
            ).where(S.latest_metrics.c.run_id.in_(chunk))
        ):
            recs[m.run_id].metrics[m.key] = m.value
        for t in conn.execute(sa.select(S.tags).where(S.tags.c.run_id.in_(chunk))):
            recs[t.run_id].tags[t.key] = t.value
    return list(recs.values())
