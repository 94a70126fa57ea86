"""``SQLMonitorStore``: reference profiles, checks and alerts in the metadata store.

Tables (revision 0006): ``hf_monitor_references``, ``hf_monitor_checks`` (unique per
target and window), ``hf_alerts`` and ``hf_alert_events``. Also the chunked reader of
the prediction log (:func:`prediction_chunks`), which monitoring uses to read large
windows in bounded memory.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hyperflow._errors import StoreError
from hyperflow.store import _schema as S
from hyperflow.store._monitor_base import (
    AlertEvent,
    AlertRecord,
    CheckRecord,
    MonitorStore,
    ReferenceProfile,
)

if TYPE_CHECKING:
    from hyperflow.store._sql import SQLStore

__all__ = ["SQLMonitorStore", "prediction_chunks", "prediction_inputs"]

references = sa.Table(
    "hf_monitor_references",
    S.metadata,
    sa.Column("name", S.KEY, primary_key=True),
    sa.Column("version", sa.String(128), primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("fields", sa.Text, nullable=False),
    sa.Column("n_rows", sa.Integer, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("calibration", sa.Text, nullable=True),  # JSON: key -> threshold
)
checks = sa.Table(
    "hf_monitor_checks",
    S.metadata,
    sa.Column("id", S.BIGINT, primary_key=True, autoincrement=True),
    sa.Column("name", S.KEY, nullable=False),
    sa.Column("target", S.KEY, nullable=False),
    sa.Column("version", sa.String(128), nullable=True),
    sa.Column("window_start", sa.Float, nullable=False),
    sa.Column("window_end", sa.Float, nullable=False),
    sa.Column("figures", sa.Text, nullable=False),
    sa.Column("rules", sa.Text, nullable=False),
    sa.Column("report", sa.Text, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("target", "window_start", "window_end", name="uq_hf_monitor_window"),
)
alerts = sa.Table(
    "hf_alerts",
    S.metadata,
    sa.Column("id", S.BIGINT, primary_key=True, autoincrement=True),
    sa.Column("rule", S.KEY, nullable=False),
    sa.Column("name", S.KEY, nullable=False),
    sa.Column("version", sa.String(128), nullable=True),
    sa.Column("severity", sa.String(32), nullable=False),
    sa.Column("fired_at", sa.Float, nullable=False),
    sa.Column("last_sent_at", sa.Float, nullable=False),
    sa.Column("resolved_at", sa.Float, nullable=True),
    sa.Column("check_id", S.BIGINT, nullable=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Index("ix_hf_alerts_open", "rule", "name", "resolved_at"),
    # one open alert per rule and model, even for concurrent monitors
    sa.Index(
        "uq_hf_alerts_one_open", "rule", "name", unique=True,
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    ),
)
alert_events = sa.Table(
    "hf_alert_events",
    S.metadata,
    sa.Column("id", S.BIGINT, primary_key=True, autoincrement=True),
    sa.Column("alert_id", S.BIGINT, nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("channel", sa.String(128), nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
)


def _new_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise StoreError("the database returned no id for a new row")
    return int(key[0])


def _alert(r: Any) -> AlertRecord:
    return AlertRecord(
        int(r.id), r.rule, r.name, r.version, r.severity, r.fired_at, r.last_sent_at,
        r.resolved_at, r.check_id, json.loads(r.body),
    )


class SQLMonitorStore(MonitorStore):
    """The monitoring store in a :class:`SQLStore` (SQLite or PostgreSQL)."""

    def __init__(self, store: SQLStore) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"SQLMonitorStore({self.store.url!r})"

    def save_reference(self, profile: ReferenceProfile) -> None:
        row = {
            "name": profile.name, "version": profile.version, "data": profile.data,
            "fields": json.dumps(profile.fields), "n_rows": profile.n_rows,
            "source": profile.source, "created_at": profile.created_at,
        }
        key = (references.c.name == profile.name) & (references.c.version == profile.version)
        with self.store.transaction() as conn:
            conn.execute(references.delete().where(key))
            conn.execute(references.insert(), [row])

    def get_reference(self, name: str, version: str) -> ReferenceProfile | None:
        key = (references.c.name == name) & (references.c.version == version)
        with self.store.engine.connect() as conn:
            r = conn.execute(sa.select(references).where(key)).first()
        if r is None:
            return None
        return ReferenceProfile(
            r.name, r.version, bytes(r.data), json.loads(r.fields), r.n_rows, r.source,
            r.created_at,
        )

    def get_calibration(self, name: str, version: str) -> dict[str, float]:
        key = (references.c.name == name) & (references.c.version == version)
        with self.store.engine.connect() as conn:
            raw = conn.execute(sa.select(references.c.calibration).where(key)).scalar()
        return dict(json.loads(raw)) if raw else {}

    def add_calibration(self, name: str, version: str, key: str, threshold: float) -> None:
        where = (references.c.name == name) & (references.c.version == version)
        with self.store.transaction() as conn:
            raw = conn.execute(sa.select(references.c.calibration).where(where)).first()
            if raw is None:
                return
            table = dict(json.loads(raw[0])) if raw[0] else {}
            table[key] = threshold
            conn.execute(references.update().where(where).values(calibration=json.dumps(table)))

    def add_check(self, check: CheckRecord) -> int:
        row = {
            "name": check.name, "target": check.target, "version": check.version,
            "window_start": check.window_start, "window_end": check.window_end,
            "figures": json.dumps(check.figures, default=str), "rules": json.dumps(check.rules),
            "report": check.report, "error": check.error,
            "created_at": check.created_at or time.time(),
        }
        try:
            with self.store.transaction() as conn:
                result = conn.execute(checks.insert().values(**row))
                return _new_id(result)
        except sa.exc.IntegrityError:
            raise StoreError(
                f"a check of {check.target!r} for the window {check.window_start}.."
                f"{check.window_end} is stored already; each window is checked once"
            ) from None

    def checks(self, target: str, *, limit: int | None = None) -> list[CheckRecord]:
        cond = (checks.c.target == target) | (checks.c.name == target)
        query = sa.select(checks).where(cond).order_by(checks.c.window_end.desc(), checks.c.id)
        if limit is not None:
            query = query.limit(limit)
        with self.store.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            CheckRecord(
                r.name, r.target, r.version, r.window_start, r.window_end,
                json.loads(r.figures), json.loads(r.rules), r.report, r.created_at, int(r.id),
                r.error,
            )
            for r in reversed(rows)
        ]

    def open_alert(
        self, rule: str, name: str, version: str | None, severity: str, at: float,
        check_id: int | None, body: dict[str, Any],
    ) -> AlertRecord | None:
        is_open = (alerts.c.rule == rule) & (alerts.c.name == name) & alerts.c.resolved_at.is_(None)
        try:
            return self._open(is_open, rule, name, version, severity, at, check_id, body)
        except sa.exc.IntegrityError:  # another monitor opened it at the same moment
            return None

    def _open(
        self, is_open: Any, rule: str, name: str, version: str | None, severity: str,
        at: float, check_id: int | None, body: dict[str, Any],
    ) -> AlertRecord | None:
        with self.store.transaction() as conn:
            if conn.execute(sa.select(alerts.c.id).where(is_open)).first() is not None:
                return None
            values = {
                "rule": rule, "name": name, "version": version, "severity": severity,
                "fired_at": at, "last_sent_at": at, "resolved_at": None,
                "check_id": check_id, "body": json.dumps(body, default=str),
            }
            new_id = _new_id(conn.execute(alerts.insert().values(**values)))
            conn.execute(alert_events.insert().values(alert_id=new_id, kind="fired", at=at))
            r = conn.execute(sa.select(alerts).where(alerts.c.id == new_id)).one()
        return _alert(r)

    def open_alerts(self, name: str | None = None) -> list[AlertRecord]:
        query = sa.select(alerts).where(alerts.c.resolved_at.is_(None)).order_by(alerts.c.id)
        if name is not None:
            query = query.where(alerts.c.name == name)
        with self.store.engine.connect() as conn:
            return [_alert(r) for r in conn.execute(query)]

    def touch_alert(self, alert_id: int, at: float) -> None:
        with self.store.transaction() as conn:
            conn.execute(alerts.update().where(alerts.c.id == alert_id).values(last_sent_at=at))
            conn.execute(alert_events.insert().values(alert_id=alert_id, kind="repeated", at=at))

    def resolve_alert(self, alert_id: int, at: float) -> None:
        with self.store.transaction() as conn:
            conn.execute(alerts.update().where(alerts.c.id == alert_id).values(resolved_at=at))
            conn.execute(alert_events.insert().values(alert_id=alert_id, kind="resolved", at=at))

    def add_event(self, event: AlertEvent) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                alert_events.insert().values(
                    alert_id=event.alert_id, kind=event.kind, at=event.at,
                    channel=event.channel, detail=event.detail,
                )
            )

    def alerts(self, name: str | None = None, *, limit: int = 100) -> list[AlertRecord]:
        query = sa.select(alerts).order_by(alerts.c.id.desc()).limit(limit)
        if name is not None:
            query = query.where(alerts.c.name == name)
        with self.store.engine.connect() as conn:
            return [_alert(r) for r in conn.execute(query)]

    def events(self, alert_id: int | None = None) -> list[AlertEvent]:
        query = sa.select(alert_events).order_by(alert_events.c.id)
        if alert_id is not None:
            query = query.where(alert_events.c.alert_id == alert_id)
        with self.store.engine.connect() as conn:
            return [
                AlertEvent(int(r.alert_id), r.kind, r.at, r.channel, r.detail)
                for r in conn.execute(query)
            ]


def prediction_chunks(
    store: SQLStore, name: str, *, versions: list[str] | None, since: datetime | None,
    until: datetime | None, chunk_size: int = 100_000, with_inputs: bool = True,
) -> Iterator[list[Any]]:
    """Rows of ``hf_predictions`` joined with feedback, in chunks of at most ``chunk_size``.

    Keyset pagination on the row id keeps memory bounded whatever the window's size. Rows
    have ``id, version, timestamp, latency_ms, inputs, output, ground_truth`` (JSON text;
    ``inputs`` is ``None`` unless ``with_inputs``: read the sampled ones with
    :func:`prediction_inputs`).
    """
    p, f = S.predictions, S.feedback
    inputs = p.c.inputs if with_inputs else sa.null().label("inputs")
    base = (
        sa.select(p.c.id, p.c.version, p.c.timestamp, p.c.latency_ms, inputs, p.c.output,
                  f.c.ground_truth)
        .select_from(p.outerjoin(f, p.c.request_id == f.c.request_id))
        .where(p.c.model == name)
    )
    if versions is not None:
        base = base.where(p.c.version.in_(versions))
    if since is not None:
        base = base.where(p.c.timestamp >= since.timestamp())
    if until is not None:
        base = base.where(p.c.timestamp < until.timestamp())
    last = -1
    while True:
        query = base.where(p.c.id > last).order_by(p.c.id).limit(chunk_size)
        with store.engine.connect() as conn:
            rows = conn.execute(query).all()
        if not rows:
            return
        last = rows[-1].id
        yield list(rows)
        if len(rows) < chunk_size:
            return


def prediction_inputs(store: SQLStore, ids: list[int], chunk: int = 5_000) -> dict[int, str]:
    """The request inputs (JSON text) of the prediction rows ``ids``."""
    p = S.predictions
    out: dict[int, str] = {}
    with store.engine.connect() as conn:
        for i in range(0, len(ids), chunk):
            part = ids[i : i + chunk]
            query = sa.select(p.c.id, p.c.inputs).where(p.c.id.in_(part))
            out.update({int(r.id): r.inputs for r in conn.execute(query)})
    return out
