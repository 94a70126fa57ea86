"""``SQLAuditStore``: the governance records in the SQL metadata store.

The audit table is append-only at the database level: revision 0007 installs
triggers that abort any ``UPDATE`` or ``DELETE`` on it (SQLite) and any
``UPDATE``, ``DELETE`` or ``TRUNCATE`` (PostgreSQL), so even code that writes SQL
directly cannot rewrite history without first dropping the trigger.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hyperflow.store import _schema as S
from hyperflow.store._audit_base import DOC_FIELDS, AuditEvent, AuditStore

if TYPE_CHECKING:
    from hyperflow.store._sql import SQLStore

__all__ = ["SQLAuditStore"]

A = S.audit_log


def _event(row: Any) -> AuditEvent:
    return AuditEvent(
        id=int(row.id),
        at=float(row.at),
        who=row.who,
        action=row.action,
        target=row.target,
        details=json.loads(row.details),
        reason=row.reason,
    )


class SQLAuditStore(AuditStore):
    """The governance records on a :class:`~hyperflow.store.SQLStore`.

    Get it with ``store.audit_store()``.
    """

    def __init__(self, store: SQLStore) -> None:
        self._store = store
        self._engine = store.engine

    def __repr__(self) -> str:
        return f"SQLAuditStore({self._store.url!r})"

    def append(
        self,
        action: str,
        target: str,
        *,
        who: str,
        details: Mapping[str, Any] | None = None,
        reason: str | None = None,
    ) -> AuditEvent:
        at = time.time()
        text = json.dumps(dict(details or {}), default=str, sort_keys=True)
        row = {"at": at, "who": who, "action": action, "target": target, "details": text}
        with self._store._tx() as conn:
            new_id = conn.execute(
                sa.insert(A).values(**row, reason=reason).returning(A.c.id)
            ).scalar_one()
        return AuditEvent(
            id=int(new_id),
            at=at,
            who=who,
            action=action,
            target=target,
            details=json.loads(text),
            reason=reason,
        )

    def events(
        self,
        *,
        action: str | None = None,
        target: str | None = None,
        who: str | None = None,
        since: float | None = None,
        limit: int | None = None,
    ) -> list[AuditEvent]:
        q = sa.select(A)
        if action is not None:
            prefix = action.endswith(".")
            q = q.where(A.c.action.startswith(action) if prefix else A.c.action == action)
        if target is not None:
            q = q.where(A.c.target == target)
        if who is not None:
            q = q.where(A.c.who == who)
        if since is not None:
            q = q.where(A.c.at >= since)
        q = q.order_by(A.c.id.desc())
        if limit is not None:
            q = q.limit(limit)
        with self._engine.connect() as conn:
            rows = conn.execute(q).all()
        return [_event(r) for r in reversed(rows)]

    def set_documentation(
        self, name: str, version: str, fields: Mapping[str, str | None], *, who: str
    ) -> dict[str, str]:
        unknown = sorted(set(fields) - set(DOC_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown documentation field(s) {unknown}; expected {', '.join(DOC_FIELDS)}"
            )
        d = S.version_docs
        with self._store._tx() as conn:
            for key, text in fields.items():
                conn.execute(
                    sa.delete(d).where(d.c.name == name, d.c.version == version, d.c.field == key)
                )
                if text is not None:
                    conn.execute(
                        sa.insert(d).values(
                            name=name,
                            version=version,
                            field=key,
                            text=text,
                            updated_at=time.time(),
                            updated_by=who,
                        )
                    )
        return self.documentation(name, version)

    def documentation(self, name: str, version: str) -> dict[str, str]:
        d = S.version_docs
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(d.c.field, d.c.text).where(d.c.name == name, d.c.version == version)
            ).all()
        found = {str(f): str(t) for f, t in rows}
        return {k: found[k] for k in DOC_FIELDS if k in found}

    def record_fairness(self, name: str, version: str, result_json: str) -> None:
        with self._store._tx() as conn:
            conn.execute(
                sa.insert(S.fairness_results).values(
                    name=name, version=version, result=result_json, at=time.time()
                )
            )

    def fairness_results(self, name: str, version: str) -> list[dict[str, Any]]:
        t = S.fairness_results
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(t).where(t.c.name == name, t.c.version == version).order_by(t.c.id.desc())
            ).all()
        return [{"result": r.result, "at": r.at} for r in rows]
