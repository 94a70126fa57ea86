"""``SQLRegistryStore``: the registry's tables in the SQL metadata store.

Every write runs in one transaction of the metadata store: on SQLite the writers
of all processes queue on its file lock; on PostgreSQL an alias move takes a
transaction-scoped advisory lock on the alias. So two processes moving one alias
leave a history in which each move starts where the previous one ended.
"""

from __future__ import annotations

import difflib
import json
import math
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hyperflow._errors import RegistryError
from hyperflow.store import _schema as S
from hyperflow.store._query import (
    Condition,
    QueryError,
    compile_version_where,
    parse_where,
    where_keys,
)
from hyperflow.store._registry_base import (
    AliasMove,
    ModelVersion,
    NewVersion,
    RegistryStore,
    VersionChooser,
    VersionStatus,
)

if TYPE_CHECKING:
    from hyperflow.store._sql import SQLStore

__all__ = ["SQLRegistryStore"]

MV = S.model_versions


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _serialize(conn: sa.Connection, key: str) -> None:
    """On PostgreSQL, a transaction-scoped advisory lock on ``key`` (released at commit).

    It serializes writers even before the row they will write exists (``FOR UPDATE``
    cannot lock a missing row). On SQLite, writers already queue on the file lock.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


def _row_to_version(row: Any, aliases: list[str]) -> ModelVersion:
    return ModelVersion(
        name=row.name,
        version=row.version,
        run_id=row.run_id,
        aliases=aliases,
        tags=json.loads(row.tags),
        lineage=json.loads(row.lineage),
        created_at=row.created_at,
        predict_ref=row.predict_ref,
        code_version=row.code_version,
        artifacts=json.loads(row.artifacts),
        metrics=json.loads(row.metrics),
        description=row.description,
        status=row.status,
        created_by=row.created_by,
    )


class SQLRegistryStore(RegistryStore):
    """The registry on a :class:`~hyperflow.store.SQLStore` (SQLite or PostgreSQL).

    Get it with ``store.registry_store()``.
    """

    def __init__(self, store: SQLStore) -> None:
        self._store = store
        self._engine = store.engine

    def __repr__(self) -> str:
        return f"SQLRegistryStore({self._store.url!r})"

    # -- reads ------------------------------------------------------------------------------
    def _aliases(self, conn: sa.Connection, name: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        rows = conn.execute(
            sa.select(S.aliases.c.alias, S.aliases.c.version)
            .where(S.aliases.c.name == name)
            .order_by(S.aliases.c.alias)
        )
        for alias, version in rows:
            out.setdefault(version, []).append(alias)
        latest = self._latest(conn, name)
        if latest is not None:
            out.setdefault(latest, []).append("latest")
        return out

    def _latest(self, conn: sa.Connection, name: str) -> str | None:
        row = conn.execute(
            sa.select(MV.c.version)
            .where(MV.c.name == name, MV.c.status == VersionStatus.ACTIVE.value)
            .order_by(MV.c.sort_key.desc())
            .limit(1)
        ).first()
        return None if row is None else str(row[0])

    def models(self) -> list[str]:
        with self._engine.connect() as conn:
            return [str(r[0]) for r in conn.execute(sa.select(S.models.c.name).order_by("name"))]

    def require_model(self, name: str) -> None:
        with self._engine.connect() as conn:
            if not self._has_model(conn, name):
                raise RegistryError(self._missing(conn, name, "versions"))

    def _has_model(self, conn: sa.Connection, name: str) -> bool:
        found = conn.execute(sa.select(S.models.c.name).where(S.models.c.name == name)).first()
        return found is not None

    def versions(self, name: str, *, include_archived: bool = True) -> list[ModelVersion]:
        with self._engine.connect() as conn:
            if not self._has_model(conn, name):
                raise RegistryError(self._missing(conn, name, "versions"))
            q = sa.select(MV).where(MV.c.name == name)
            if not include_archived:
                q = q.where(MV.c.status == VersionStatus.ACTIVE.value)
            rows = conn.execute(q.order_by(MV.c.sort_key.desc())).all()
            aliases = self._aliases(conn, name)
        return [_row_to_version(r, aliases.get(r.version, [])) for r in rows]

    def get_version(self, name: str, version: str) -> ModelVersion:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(MV).where(MV.c.name == name, MV.c.version == version)
            ).first()
            if row is None:
                raise RegistryError(self._missing(conn, name, f"version {version!r}"))
            aliases = self._aliases(conn, name)
        return _row_to_version(row, aliases.get(version, []))

    def resolve_alias(self, name: str, alias: str) -> str:
        with self._engine.connect() as conn:
            if alias == "latest":
                latest = self._latest(conn, name)
                if latest is None:
                    raise RegistryError(self._missing(conn, name, "any active version"))
                return latest
            row = conn.execute(
                sa.select(S.aliases.c.version).where(
                    S.aliases.c.name == name, S.aliases.c.alias == alias
                )
            ).first()
            if row is None:
                raise RegistryError(self._missing(conn, name, f"alias {alias!r}"))
            return str(row[0])

    def _missing(self, conn: sa.Connection, name: str, what: str) -> str:
        if not self._has_model(conn, name):
            names = sorted(str(r[0]) for r in conn.execute(sa.select(S.models.c.name)))
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            return (
                f"no model {name!r} in the registry{hint} (models: {', '.join(names) or 'none'}); "
                "register one with hf.registry.register"
            )
        versions = [
            str(r[0])
            for r in conn.execute(
                sa.select(MV.c.version).where(MV.c.name == name).order_by(MV.c.sort_key.desc())
            )
        ]
        aliases = [
            str(r[0])
            for r in conn.execute(sa.select(S.aliases.c.alias).where(S.aliases.c.name == name))
        ]
        return (
            f"model {name!r} has no {what} (versions: {', '.join(versions) or 'none'}; "
            f"aliases: {', '.join(sorted(aliases)) or 'none'})"
        )

    def history(self, name: str, alias: str) -> list[AliasMove]:
        h = S.alias_history
        with self._engine.connect() as conn:
            if not self._has_model(conn, name):
                raise RegistryError(self._missing(conn, name, "history"))
            rows = conn.execute(
                sa.select(h).where(h.c.name == name, h.c.alias == alias).order_by(h.c.id)
            ).all()
        return [
            AliasMove(r.alias, r.from_version, r.to_version, r.who, r.at, r.reason, r.rollback)
            for r in rows
        ]

    def known_keys(self, kind: str, among: Sequence[str] | None = None) -> list[str]:
        tables = {"metrics": S.version_metrics, "tags": S.version_tags}
        if kind not in tables:
            raise QueryError(f"kind must be one of {', '.join(tables)}, but got {kind!r}")
        t = tables[kind]
        stmt = sa.select(t.c.key).distinct().order_by(t.c.key)
        if among is not None:
            stmt = stmt.where(t.c.key.in_(list(among)))
        with self._engine.connect() as conn:
            return [str(r[0]) for r in conn.execute(stmt)]

    def _check_keys(self, where: str, node: Any) -> None:
        named = [key for kind, key in where_keys(node) if kind == "metrics"]
        if not named or len(self.known_keys("metrics", among=named)) == len(named):
            return
        known = self.known_keys("metrics")
        for key in named:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
                hint = f"; did you mean metrics.{close[0]}?" if close else ""
                raise QueryError(
                    f"in filter {where!r}: no model version has metric {key!r}{hint} "
                    f"(metrics that exist: {', '.join(known[:30]) or 'none'}"
                    f"{f', ... ({len(known)} in all)' if len(known) > 30 else ''})"
                )

    def search(
        self,
        where: str | None = None,
        *,
        name: str | None = None,
        tags: Mapping[str, str] | None = None,
        alias: str | None = None,
        include_archived: bool = False,
    ) -> list[ModelVersion]:
        q = sa.select(MV)
        if name is not None:
            self.require_model(name)
            q = q.where(MV.c.name == name)
        if not include_archived:
            q = q.where(MV.c.status == VersionStatus.ACTIVE.value)
        parts: list[Any] = [Condition(f"tags.{k}", "=", str(v)) for k, v in (tags or {}).items()]
        if alias is not None:
            parts.append(Condition("alias", "=", alias))
        if where:
            node = parse_where(where, scope="versions")
            self._check_keys(where, node)
            parts.append(node)
        if parts:
            q = q.where(compile_version_where(("and", parts)))
        with self._engine.connect() as conn:
            rows = conn.execute(q.order_by(MV.c.name, MV.c.sort_key.desc())).all()
            aliases = {n: self._aliases(conn, n) for n in {r.name for r in rows}}
        return [_row_to_version(r, aliases[r.name].get(r.version, [])) for r in rows]

    def suite_results(self, name: str, version: str) -> list[dict[str, Any]]:
        t = S.suite_results
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(t).where(t.c.name == name, t.c.version == version).order_by(t.c.id.desc())
            ).all()
        return [
            {
                "suite_ref": r.suite_ref,
                "passed": r.passed,
                "pass_rate": r.pass_rate,
                "result": json.loads(r.result),
                "at": r.at,
            }
            for r in rows
        ]

    # -- writes -----------------------------------------------------------------------------
    def add_version(self, name: str, choose: VersionChooser, new: NewVersion) -> str:
        with self._store._tx() as conn:
            _serialize(conn, f"hyperflow-model:{name}")
            if not self._has_model(conn, name):
                conn.execute(sa.insert(S.models).values(name=name, created_at=time.time()))
            newest = conn.execute(
                sa.select(MV.c.version)
                .where(MV.c.name == name)
                .order_by(MV.c.sort_key.desc())
                .limit(1)
            ).first()
            text, sort_key = choose(None if newest is None else str(newest[0]))
            exists = conn.execute(
                sa.select(MV.c.run_id, MV.c.created_at).where(
                    MV.c.name == name, MV.c.version == text
                )
            ).first()
            if exists is not None:
                when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(exists[1]))
                raise RegistryError(
                    f"model {name!r} already has version {text} (from run {exists[0]}, "
                    f"registered {when}); versions are immutable: register with bump= or "
                    "another version="
                )
            self._insert_version(conn, name, text, sort_key, new)
        return text

    def _insert_version(
        self, conn: sa.Connection, name: str, text: str, sort_key: str, new: NewVersion
    ) -> None:
        conn.execute(
            sa.insert(MV).values(
                name=name,
                version=text,
                sort_key=sort_key,
                status=VersionStatus.ACTIVE.value,
                created_at=time.time(),
                created_by=new.created_by,
                run_id=new.run_id,
                predict_ref=new.predict_ref,
                code_version=new.code_version,
                artifacts=json.dumps(dict(new.artifacts)),
                lineage=json.dumps(dict(new.lineage), default=repr),
                metrics=json.dumps(dict(new.metrics)),
                tags=json.dumps(dict(new.tags)),
                description=new.description,
            )
        )
        key = {"name": name, "version": text}
        metrics = [{**key, "key": k, "value": _number(v)} for k, v in new.metrics.items()]
        tags = [{**key, "key": k, "value": str(v)} for k, v in new.tags.items()]
        if metrics:
            conn.execute(sa.insert(S.version_metrics), metrics)
        if tags:
            conn.execute(sa.insert(S.version_tags), tags)

    def move_alias(
        self,
        name: str,
        alias: str,
        version: str | None,
        *,
        reason: str | None = None,
        rollback: bool = False,
        who: str | None = None,
    ) -> AliasMove:
        if alias == "latest":
            raise RegistryError(
                "'latest' is virtual (the newest active version); use another alias"
            )
        with self._store._tx() as conn:
            _serialize(conn, f"hyperflow-alias:{name}@{alias}")
            if version is not None:
                self._require_active(conn, name, version, alias)
            previous = self._write_alias(conn, name, alias, version)
            move = AliasMove(alias, previous, version, who, time.time(), reason, rollback)
            conn.execute(
                sa.insert(S.alias_history).values(
                    name=name,
                    alias=alias,
                    from_version=previous,
                    to_version=version,
                    who=who,
                    at=move.at,
                    reason=reason,
                    rollback=rollback,
                )
            )
        return move

    def _require_active(self, conn: sa.Connection, name: str, version: str, alias: str) -> None:
        found = conn.execute(
            sa.select(MV.c.status).where(MV.c.name == name, MV.c.version == version)
        ).first()
        if found is None:
            raise RegistryError(self._missing(conn, name, f"version {version!r}"))
        if found[0] != VersionStatus.ACTIVE:
            raise RegistryError(
                f"{name}:{version} is archived, and archived versions take no aliases; "
                f"point {alias!r} at an active version"
            )

    def _write_alias(
        self, conn: sa.Connection, name: str, alias: str, version: str | None
    ) -> str | None:
        """Point the alias row at ``version`` (delete it for ``None``); the previous target."""
        a = S.aliases
        where = (a.c.name == name) & (a.c.alias == alias)
        current = conn.execute(sa.select(a.c.version).where(where)).first()
        previous = None if current is None else str(current[0])
        now = time.time()
        if version is None:
            if previous is None:
                raise RegistryError(self._missing(conn, name, f"alias {alias!r}"))
            conn.execute(sa.delete(a).where(where))
        elif previous is None:
            conn.execute(
                sa.insert(a).values(name=name, alias=alias, version=version, updated_at=now)
            )
        else:
            conn.execute(sa.update(a).where(where).values(version=version, updated_at=now))
        return previous

    def _pointing(self, conn: sa.Connection, name: str, version: str) -> list[str]:
        a = S.aliases
        stmt = sa.select(a.c.alias).where(a.c.name == name, a.c.version == version)
        return sorted(str(r[0]) for r in conn.execute(stmt))

    def _require_version(self, conn: sa.Connection, name: str, version: str) -> None:
        stmt = sa.select(MV.c.version).where(MV.c.name == name, MV.c.version == version)
        if conn.execute(stmt).first() is None:
            raise RegistryError(self._missing(conn, name, f"version {version!r}"))

    def set_status(self, name: str, version: str, status: VersionStatus) -> None:
        try:
            status = VersionStatus(status)
        except ValueError:
            raise RegistryError(
                f"a version status is one of {', '.join(VersionStatus)}, but got {status!r}"
            ) from None
        with self._store._tx() as conn:
            self._require_version(conn, name, version)
            pointing = self._pointing(conn, name, version)
            if status == VersionStatus.ARCHIVED and pointing:
                raise RegistryError(
                    f"cannot archive {name}:{version}: alias(es) {', '.join(pointing)} point at "
                    "it, and archived versions take no aliases; move or remove them first "
                    "(set_alias/rollback/remove_alias)"
                )
            conn.execute(
                sa.update(MV)
                .where(MV.c.name == name, MV.c.version == version)
                .values(status=status.value)
            )

    def delete_version(self, name: str, version: str) -> None:
        with self._store._tx() as conn:
            self._require_version(conn, name, version)
            pointing = self._pointing(conn, name, version)
            if pointing:
                raise RegistryError(
                    f"cannot delete {name}:{version}: alias(es) {', '.join(pointing)} "
                    "point at it; move them first (set_alias/rollback), or archive it instead"
                )
            for t in (S.version_metrics, S.version_tags):
                conn.execute(sa.delete(t).where(t.c.name == name, t.c.version == version))
            conn.execute(sa.delete(MV).where(MV.c.name == name, MV.c.version == version))

    def record_suite(
        self,
        name: str,
        version: str,
        suite_ref: str,
        passed: bool,
        pass_rate: float,
        result_json: str,
    ) -> None:
        with self._store._tx() as conn:
            self._require_version(conn, name, version)
            conn.execute(
                sa.insert(S.suite_results).values(
                    name=name,
                    version=version,
                    suite_ref=suite_ref,
                    passed=passed,
                    pass_rate=pass_rate,
                    result=result_json,
                    at=time.time(),
                )
            )
