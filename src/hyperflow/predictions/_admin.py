"""Retention, access and erasure over the prediction log: ``prune``, ``export``, ``delete``.

They work on the prediction log kept in a SQL metadata store (the default log)
and record each action in the store's append-only audit log: who, when, how
many rows, the selectors' field names (never their values, which may be
personal data), and why.

Selectors: ``request_ids`` and/or ``where``, a mapping of input fields to values
(``{"email": "ann@example.org"}``). A field the project's policy hashes is
matched by hashing the value given with the same key, so a subject's rows are
found without storing the raw value; a dropped field cannot be matched (it was
never stored).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from hyperflow._errors import ConfigError, StoreError
from hyperflow.store import MetadataStore, SQLStore, actor, get_store
from hyperflow.store import _schema as S
from hyperflow.store._log_policy import LogPolicy, parse_duration, project_log_policy

__all__ = ["delete", "export", "prune"]

StoreArg = MetadataStore | str | None


def _sql(store: StoreArg) -> SQLStore:
    resolved = get_store(store)
    if not isinstance(resolved, SQLStore):
        raise StoreError(
            f"the prediction log's retention and erasure need a SQL store, but got "
            f"{type(resolved).__name__}"
        )
    return resolved


def _audit(
    store: SQLStore, action: str, target: str, details: dict[str, Any], reason: str | None
) -> None:
    store.audit_store().append(
        f"predictions.{action}", target, who=actor(), details=details, reason=reason
    )


def prune(
    *,
    max_age: str | float | None = None,
    model: str | None = None,
    reason: str | None = None,
    store: StoreArg = None,
) -> int:
    """Delete predictions (and their feedback) older than ``max_age``; return how many.

    ``max_age`` defaults to ``[tool.hyperflow.predictions] max_age``.

    Example:
        >>> import hyperflow as hf
        >>> hf.predictions.prune(max_age="30d")  # doctest: +SKIP
        0
    """
    if max_age is None:
        policy = project_log_policy()
        if policy is None or policy.max_age_s is None:
            raise ConfigError(
                "no retention configured: pass max_age='30d' or set max_age in "
                "[tool.hyperflow.predictions]"
            )
        seconds = policy.max_age_s
    else:
        seconds = parse_duration(max_age)
    cutoff = time.time() - seconds
    sql = _sql(store)
    p = S.predictions
    cond: sa.ColumnElement[bool] = p.c.timestamp < cutoff
    if model is not None:
        cond = sa.and_(cond, p.c.model == model)
    with sql.transaction() as conn:
        ids = [r[0] for r in conn.execute(sa.select(p.c.request_id).where(cond))]
        count = conn.execute(p.delete().where(cond)).rowcount
        _delete_feedback(conn, ids)
    details = {"deleted": count, "max_age_s": seconds, "before": cutoff}
    _audit(sql, "prune", model or "*", details, reason)
    return int(count)


def _delete_feedback(conn: sa.Connection, request_ids: Sequence[str]) -> None:
    """Feedback of request ids that no longer have any prediction row."""
    p, f = S.predictions, S.feedback
    for i in range(0, len(request_ids), 500):
        chunk = list(request_ids[i : i + 500])
        left = {
            r[0] for r in conn.execute(sa.select(p.c.request_id).where(p.c.request_id.in_(chunk)))
        }
        gone = [r for r in chunk if r not in left]
        if gone:
            conn.execute(f.delete().where(f.c.request_id.in_(gone)))


def _matcher(where: Mapping[str, Any], policy: LogPolicy | None) -> dict[str, Any]:
    """What each ``where`` field looks like in the log, the policy applied to the value."""
    if policy is None:
        return dict(where)
    out: dict[str, Any] = {}
    for name, value in where.items():
        rule = policy.fields.get(name)
        if rule is not None and rule.action == "drop":
            raise ConfigError(
                f"input field {name!r} is dropped by the log policy: it was never stored, so "
                "no prediction can be found by it; select by request id instead"
            )
        if rule is not None and rule.action == "hash":
            out[name] = policy.hash_value(value)
        elif rule is not None and rule.action == "truncate":
            out[name] = str(value)[: rule.length]
        else:
            out[name] = value
    return out


def _select(
    sql: SQLStore,
    request_ids: Sequence[str] | None,
    where: Mapping[str, Any] | None,
    model: str | None,
) -> list[dict[str, Any]]:
    if not request_ids and not where:
        raise StoreError("select predictions by request_ids and/or where={field: value}")
    p, f = S.predictions, S.feedback
    q = sa.select(p, f.c.ground_truth).select_from(p.outerjoin(f, p.c.request_id == f.c.request_id))
    if request_ids:
        q = q.where(p.c.request_id.in_(list(request_ids)))
    if model is not None:
        q = q.where(p.c.model == model)
    match = _matcher(where or {}, project_log_policy())
    with sql.engine.connect() as conn:
        rows = conn.execute(q.order_by(p.c.timestamp, p.c.id)).all()
    out = []
    for r in rows:
        inputs = json.loads(r.inputs)
        if match and not (
            isinstance(inputs, dict) and all(inputs.get(k) == v for k, v in match.items())
        ):
            continue
        out.append(
            {
                "request_id": r.request_id,
                "model": r.model,
                "version": r.version,
                "timestamp": r.timestamp,
                "latency_ms": r.latency_ms,
                "inputs": inputs,
                "output": json.loads(r.output),
                "ground_truth": None if r.ground_truth is None else json.loads(r.ground_truth),
            }
        )
    return out


def export(
    *,
    request_ids: Sequence[str] | None = None,
    where: Mapping[str, Any] | None = None,
    model: str | None = None,
    reason: str | None = None,
    store: StoreArg = None,
) -> list[dict[str, Any]]:
    """The logged predictions (with feedback) a subject access request asks for.

    Example:
        >>> import hyperflow as hf
        >>> hf.predictions.export(where={"email": "ann@example.org"})  # doctest: +SKIP
    """
    sql = _sql(store)
    rows = _select(sql, request_ids, where, model)
    details = {
        "rows": len(rows),
        "request_ids": len(request_ids or []),
        "where": sorted(where or {}),
    }
    _audit(sql, "export", model or "*", details, reason)
    return rows


def delete(
    *,
    request_ids: Sequence[str] | None = None,
    where: Mapping[str, Any] | None = None,
    model: str | None = None,
    reason: str | None = None,
    store: StoreArg = None,
) -> int:
    """Erase the selected predictions and their feedback; return how many were deleted."""
    sql = _sql(store)
    ids = sorted({r["request_id"] for r in _select(sql, request_ids, where, model)})
    p = S.predictions
    count = 0
    with sql.transaction() as conn:
        for i in range(0, len(ids), 500):
            cond: sa.ColumnElement[bool] = p.c.request_id.in_(ids[i : i + 500])
            if model is not None:
                cond = sa.and_(cond, p.c.model == model)
            count += conn.execute(p.delete().where(cond)).rowcount
        _delete_feedback(conn, ids)
    details = {
        "deleted": count,
        "request_ids": len(request_ids or []),
        "where": sorted(where or {}),
    }
    _audit(sql, "delete", model or "*", details, reason)
    return count
