"""``SQLStore``: the metadata store on SQLAlchemy 2 (SQLite by default, PostgreSQL).

SQLite runs in WAL mode with ``synchronous=NORMAL`` (a killed process loses no committed
write), a 60 s busy timeout and ``BEGIN IMMEDIATE`` write transactions, so several
processes can log into one file without "database is locked" errors. Writers also queue
on an ``flock`` of ``<db>.lock``: the kernel wakes the next writer at once, where
SQLite's busy handler would poll with sleeps of up to 100 ms.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hyperflow._errors import StoreError
from hyperflow.store import _schema as S
from hyperflow.store._audit_base import AuditStore
from hyperflow.store._base import (
    ArtifactRecord,
    MetadataStore,
    MetricPoint,
    NodeRecord,
    RunRecord,
    RunStatus,
)
from hyperflow.store._migrate import upgrade
from hyperflow.store._query import compile_where, parse_where
from hyperflow.store._registry_base import RegistryStore
from hyperflow.store._rows import param_row, run_records
from hyperflow.store._search import run_keys, run_rows
from hyperflow.store._sqlite import sqlite_setup

if TYPE_CHECKING:
    from hyperflow.store._traffic import TrafficStore

__all__ = ["SQLStore"]

_METRIC_COLS = ("run_id", "key", "step", "value", "timestamp")
_LATEST_COLS = ("run_id", "key", "step", "value")


class SQLStore(MetadataStore):
    """Runs in a SQL database: ``sqlite:///path.db`` or ``postgresql+psycopg://...``.

    The schema is created or upgraded (Alembic) when the store is opened.
    ``engine`` is public so other layers (and Optuna's ``RDBStorage``) can
    share the database.

    Example:
        >>> import tempfile, time
        >>> from hyperflow.store import SQLStore, RunRecord, MetricPoint
        >>> store = SQLStore(f"sqlite:///{tempfile.mkdtemp()}/runs.db")
        >>> store.create_run(RunRecord(run_id="a" * 32, status="running", start_time=time.time()))
        >>> store.log_metrics("a" * 32, [MetricPoint("f1", 0.9, 0, time.time())])
        >>> store.get_run("a" * 32).metrics
        {'f1': 0.9}
    """

    def __init__(self, url: str, *, engine_kwargs: Mapping[str, Any] | None = None) -> None:
        self._url = sa.make_url(url)
        kwargs: dict[str, Any] = dict(engine_kwargs or {})
        self.dialect = self._url.get_backend_name()
        if self.dialect == "sqlite":
            db = self._url.database
            if db and db != ":memory:" and not db.startswith("file:"):
                Path(db).parent.mkdir(parents=True, exist_ok=True)
        else:
            kwargs.setdefault("pool_pre_ping", True)
        try:
            self.engine: sa.Engine = sa.create_engine(self._url, **kwargs)
        except Exception as exc:
            raise StoreError(
                f"cannot open metadata store {self.url!r}: {exc}; use sqlite:///path.db or "
                "postgresql+psycopg://user@host/db (pip install 'hyperflow[postgres]')"
            ) from exc
        if self.dialect == "sqlite":
            sqlite_setup(self.engine)
        try:
            upgrade(self.engine)
        except sa.exc.OperationalError as exc:
            raise StoreError(
                f"cannot reach metadata store {self.url!r}: {exc.orig}; check the URL "
                "(HYPERFLOW_STORE) and that the database server is running"
            ) from exc
        self._lock = threading.Lock()
        self._lock_path: str | None = None
        db = self._url.database
        if self.dialect == "sqlite" and db and db != ":memory:" and not db.startswith("file:"):
            self._lock_path = db + ".lock"
        self._lock_fd: int | None = None
        self._lock_pid = 0
        self._registry: RegistryStore | None = None
        self._up_metrics = self._upsert(
            S.latest_metrics, ["run_id", "key"], ["step", "value"], latest=True
        )
        # on SQLite, the same two statements compiled once to SQL for the bare cursor
        self._sqlite_metrics: tuple[str, str] | None = None
        if self.dialect == "sqlite":
            self._sqlite_metrics = (
                self._positional(S.metrics.insert(), _METRIC_COLS),
                self._positional(self._up_metrics, _LATEST_COLS),
            )
        self._up_params = self._upsert(S.params, ["run_id", "key"], ["value", "text", "num"])
        self._up_tags = self._upsert(S.tags, ["run_id", "key"], ["value"])
        self._up_nodes = self._upsert(
            S.nodes, ["run_id", "key"], ["seconds", "cache_hit", "code_version"]
        )
        self._up_artifacts = self._upsert(
            S.artifacts, ["run_id", "name"], ["digest", "format", "size", "type"]
        )

    def _upsert(
        self, table: sa.Table, keys: list[str], cols: list[str], latest: bool = False
    ) -> Any:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        stmt = insert(table)
        where = stmt.excluded.step >= table.c.step if latest else None
        return stmt.on_conflict_do_update(
            index_elements=keys, set_={c: stmt.excluded[c] for c in cols}, where=where
        )

    def _positional(self, stmt: Any, cols: tuple[str, ...]) -> str:
        compiled = stmt.compile(dialect=self.engine.dialect, column_keys=list(cols))
        assert tuple(compiled.positiontup or ()) == cols, compiled.positiontup
        return str(compiled)

    @property
    def url(self) -> str:
        return self._url.render_as_string(hide_password=True)

    @property
    def sqlalchemy_url(self) -> str:
        """The full SQLAlchemy URL (password included), e.g. for ``optuna.storages.RDBStorage``.

        Optuna keeps its own tables and its own ``alembic_version`` table, so it can
        share the database with hyperflow (whose version table is
        ``hyperflow_alembic_version``).
        """
        return self._url.render_as_string(hide_password=False)

    def __repr__(self) -> str:
        return f"SQLStore({self.url!r})"

    def close(self) -> None:
        self.engine.dispose()

    # -- writes ---------------------------------------------------------------------------
    @contextmanager
    def _writers_queue(self) -> Iterator[None]:
        """On a SQLite file, writers of all processes queue on one ``flock``."""
        try:
            import fcntl
        except ImportError:  # not POSIX: rely on SQLite's busy timeout alone
            fcntl = None  # type: ignore[assignment]
        if self._lock_path is None or fcntl is None:
            yield
            return
        with self._lock:
            if self._lock_fd is None or self._lock_pid != os.getpid():
                self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
                self._lock_pid = os.getpid()
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @contextmanager
    def _tx(self) -> Iterator[sa.Connection]:
        """A write transaction (queued behind other writers on SQLite)."""
        with self._writers_queue(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _sqlite_tx(self) -> Iterator[Any]:
        """A write transaction on the bare ``sqlite3`` cursor, for per-call hot paths.

        Logging one metric point through SQLAlchemy's statement machinery costs
        three times what SQLite itself does; this skips it (same lock, same
        ``BEGIN IMMEDIATE``, same all-or-nothing commit).
        """
        with self._writers_queue():
            raw = self.engine.raw_connection()
            try:
                cur = raw.cursor()
                cur.execute("BEGIN IMMEDIATE")
                try:
                    yield cur
                except BaseException:
                    raw.rollback()
                    raise
                raw.commit()
            finally:
                raw.close()  # back to the pool

    def registry_store(self) -> RegistryStore:
        """The model registry in this database (a :class:`SQLRegistryStore`)."""
        if self._registry is None:
            from hyperflow.store._registry_sql import SQLRegistryStore

            self._registry = SQLRegistryStore(self)
        return self._registry

    def audit_store(self) -> AuditStore:
        """The audit log and governance records in this database (a ``SQLAuditStore``)."""
        from hyperflow.store._audit_sql import SQLAuditStore

        return SQLAuditStore(self)

    def traffic_store(self) -> TrafficStore:
        """The traffic policies in this database (a ``SQLTrafficStore``)."""
        from hyperflow.store._traffic import SQLTrafficStore

        return SQLTrafficStore(self)

    def transaction(self) -> AbstractContextManager[sa.Connection]:
        """A write transaction for the store package's other tables (the prediction log).

        On SQLite, writers of every process queue on one file lock, so a
        read-then-write inside it cannot lose an update.
        """
        return self._tx()

    def _require(self, conn: sa.Connection, run_id: str) -> None:
        found = conn.execute(sa.select(S.runs.c.run_id).where(S.runs.c.run_id == run_id)).first()
        if found is None:
            raise StoreError(
                f"no run {run_id!r} in {self.url}; create it first (hf.start_run) or check the id"
            )

    def create_run(self, run: RunRecord) -> None:
        row = {
            "run_id": run.run_id,
            "name": run.name,
            "pipeline": run.pipeline,
            "status": RunStatus.check(run.status).value,
            "start_time": run.start_time,
            "end_time": run.end_time,
            "parent_id": run.parent_id,
            "error": run.error,
            "config": json.dumps(run.config, default=repr),
            "failed_node": run.failed_node,
            "traceback": run.traceback,
            "pid": run.pid,
            "host": run.host,
            "heartbeat": run.heartbeat,
            "lineage": json.dumps(run.lineage, default=repr),
        }
        try:
            with self._tx() as conn:
                conn.execute(S.runs.insert(), row)
                if run.params:
                    conn.execute(
                        self._up_params,
                        [param_row(run.run_id, k, v) for k, v in run.params.items()],
                    )
                if run.tags:
                    conn.execute(
                        self._up_tags,
                        [
                            {"run_id": run.run_id, "key": k, "value": str(v)}
                            for k, v in run.tags.items()
                        ],
                    )
        except sa.exc.IntegrityError as exc:
            raise StoreError(
                f"run {run.run_id!r} already exists in {self.url}; use a new id"
            ) from exc

    def end_run(
        self,
        run_id: str,
        *,
        status: RunStatus | str,
        end_time: float,
        error: str | None = None,
        failed_node: str | None = None,
        traceback: str | None = None,
        expected_status: RunStatus | str | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": RunStatus.check(status).value}
        values.update(end_time=end_time, error=error, failed_node=failed_node, traceback=traceback)
        expected = None if expected_status is None else RunStatus.check(expected_status).value
        self._update(run_id, values, expected)

    def heartbeat(self, run_id: str, when: float) -> None:
        self._update(run_id, {"heartbeat": when})

    def _update(self, run_id: str, values: dict[str, Any], status: str | None = None) -> None:
        stmt = S.runs.update().where(S.runs.c.run_id == run_id).values(**values)
        if status is not None:
            stmt = stmt.where(S.runs.c.status == status)
        with self._tx() as conn:
            res = conn.execute(stmt)
            if res.rowcount == 0 and status is None:
                self._require(conn, run_id)

    def _write(self, run_id: str, stmt: Any, rows: list[dict[str, Any]], extra: Any = None) -> None:
        if not rows:
            return
        try:
            with self._tx() as conn:
                conn.execute(stmt, rows)
                if extra is not None:
                    conn.execute(extra[0], extra[1])
        except sa.exc.IntegrityError as exc:
            raise self._missing_run(run_id, exc.orig) from exc

    def _missing_run(self, run_id: str, cause: object) -> StoreError:
        return StoreError(
            f"cannot write to run {run_id!r} in {self.url}: it does not exist "
            f"({cause}); start it first (hf.start_run) or check the id"
        )

    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        self._write(run_id, self._up_params, [param_row(run_id, k, v) for k, v in params.items()])

    def log_metrics(self, run_id: str, points: Sequence[MetricPoint]) -> None:
        if not points:
            return
        latest: dict[str, MetricPoint] = {}
        for p in points:
            cur = latest.get(p.key)
            if cur is None or p.step >= cur.step:
                latest[p.key] = p
        rows = [(run_id, p.key, p.step, p.value, p.timestamp) for p in points]
        top = [(run_id, p.key, p.step, p.value) for p in latest.values()]
        if self._sqlite_metrics is None:
            self._write(
                run_id,
                S.metrics.insert(),
                [dict(zip(_METRIC_COLS, r, strict=True)) for r in rows],
                (self._up_metrics, [dict(zip(_LATEST_COLS, r, strict=True)) for r in top]),
            )
            return
        insert, upsert_latest = self._sqlite_metrics
        try:
            with self._sqlite_tx() as cursor:
                cursor.executemany(insert, rows)
                cursor.executemany(upsert_latest, top)
        except sqlite3.IntegrityError as exc:
            raise self._missing_run(run_id, exc) from exc

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        rows = [{"run_id": run_id, "key": str(k), "value": str(v)} for k, v in tags.items()]
        self._write(run_id, self._up_tags, rows)

    def log_nodes(self, run_id: str, nodes: Iterable[NodeRecord]) -> None:
        rows: list[dict[str, Any]] = [
            {
                "run_id": run_id,
                "key": n.key,
                "seconds": n.seconds,
                "cache_hit": n.cache_hit,
                "code_version": n.code_version,
            }
            for n in nodes
        ]
        self._write(run_id, self._up_nodes, rows)

    def log_artifact(self, run_id: str, artifact: ArtifactRecord) -> None:
        row: dict[str, Any] = {"run_id": run_id, "name": artifact.name, "digest": artifact.digest}
        row.update(format=artifact.format, size=artifact.size, type=artifact.type)
        self._write(run_id, self._up_artifacts, [row])

    def set_lineage(self, run_id: str, lineage: Mapping[str, Any]) -> None:
        with self._tx() as conn:
            got = conn.execute(sa.select(S.runs.c.lineage).where(S.runs.c.run_id == run_id)).first()
            if got is None:
                self._require(conn, run_id)
                return
            doc = json.loads(got[0] or "{}")
            doc.update(lineage)
            conn.execute(
                S.runs.update()
                .where(S.runs.c.run_id == run_id)
                .values(lineage=json.dumps(doc, default=repr))
            )

    # -- reads ----------------------------------------------------------------------------
    def get_run(self, run_id: str) -> RunRecord | None:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(S.runs).where(S.runs.c.run_id == run_id)).all()
            if not rows:
                return None
            rec = run_records(conn, rows)[0]
            rec.lineage = json.loads(rows[0].lineage) if rows[0].lineage else {}
            for n in conn.execute(sa.select(S.nodes).where(S.nodes.c.run_id == run_id)):
                rec.nodes[n.key] = NodeRecord(n.key, n.seconds, bool(n.cache_hit), n.code_version)
            for a in conn.execute(sa.select(S.artifacts).where(S.artifacts.c.run_id == run_id)):
                rec.artifacts[a.name] = ArtifactRecord(a.name, a.digest, a.format, a.size, a.type)
            return rec

    def metric_history(self, run_id: str, key: str) -> list[MetricPoint]:
        m = S.metrics
        stmt = (
            sa.select(m.c.key, m.c.value, m.c.step, m.c.timestamp)
            .where(m.c.run_id == run_id, m.c.key == key)
            .order_by(m.c.step, m.c.id)
        )
        with self.engine.connect() as conn:
            return [MetricPoint(r.key, r.value, r.step, r.timestamp) for r in conn.execute(stmt)]

    def search_runs(
        self,
        *,
        pipeline: str | None = None,
        where: str | None = None,
        order_by: str | Sequence[str] | None = None,
        limit: int | None = None,
        parent_id: str | None = None,
        offset: int = 0,
    ) -> list[RunRecord]:
        cols = [c for c in S.runs.c if c.name != "lineage"]
        found = _conditions(pipeline, where, parent_id)
        with self.engine.connect() as conn:
            return run_records(conn, run_rows(conn, cols, found, order_by, limit, offset))

    def count_runs(
        self,
        *,
        pipeline: str | None = None,
        where: str | None = None,
        parent_id: str | None = None,
        at_most: int | None = None,
    ) -> int:
        stmt = _filtered(sa.select(sa.func.count()).select_from(S.runs), pipeline, where, parent_id)
        if at_most is not None:
            inner = _filtered(sa.select(S.runs.c.run_id), pipeline, where, parent_id)
            stmt = sa.select(sa.func.count()).select_from(inner.limit(at_most).subquery())
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def find_run_ids(self, prefix: str, *, limit: int = 10) -> list[str]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = (
            sa.select(S.runs.c.run_id)
            .where(S.runs.c.run_id.like(escaped + "%", escape="\\"))
            .order_by(S.runs.c.run_id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [str(r[0]) for r in conn.execute(stmt)]

    def delete_run(self, run_id: str) -> None:
        mv = S.model_versions
        with self._tx() as conn:
            self._require(conn, run_id)
            used = conn.execute(
                sa.select(mv.c.name, mv.c.version).where(mv.c.run_id == run_id).order_by(mv.c.name)
            ).all()
            if used:
                refs = ", ".join(f"{n}:{v}" for n, v in used)
                raise StoreError(
                    f"cannot delete run {run_id}: registered model version(s) {refs} were built "
                    "from it; delete those versions first (hf.registry.delete), or keep the run"
                )
            for table in (S.metrics, S.latest_metrics, S.params, S.tags, S.nodes, S.artifacts):
                conn.execute(sa.delete(table).where(table.c.run_id == run_id))
            conn.execute(sa.delete(S.runs).where(S.runs.c.run_id == run_id))

    def known_keys(self, kind: str, among: Sequence[str] | None = None) -> list[str]:
        with self.engine.connect() as conn:
            return run_keys(conn, kind, among)

    def running_runs(self) -> list[RunRecord]:
        stmt = sa.select(*[c for c in S.runs.c if c.name != "lineage"]).where(
            S.runs.c.status == RunStatus.RUNNING.value
        )
        with self.engine.connect() as conn:
            return run_records(conn, conn.execute(stmt).all())


def _conditions(pipeline: str | None, where: str | None, parent_id: str | None) -> list[Any]:
    """The clauses over ``hf_runs`` that narrow runs to a pipeline, a parent and a filter."""
    found: list[Any] = []
    if pipeline is not None:
        found.append(S.runs.c.pipeline == pipeline)
    if parent_id is not None:
        found.append(S.runs.c.parent_id == parent_id)
    if where:
        found.append(compile_where(parse_where(where)))
    return found


def _filtered(stmt: Any, pipeline: str | None, where: str | None, parent_id: str | None) -> Any:
    """``stmt`` over ``hf_runs`` narrowed to a pipeline, a parent and a filter."""
    return stmt.where(*_conditions(pipeline, where, parent_id))
