"""The registry's rows in the metadata store: versions, aliases and their history.

Every write runs in one transaction (``SQLStore.transaction``): on SQLite the
writers of all processes queue on a file lock; on PostgreSQL an alias move takes a
transaction-scoped advisory lock on the alias. So two processes moving one alias leave a history in
which each move starts where the previous one ended.
"""

from __future__ import annotations

import difflib
import getpass
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from hyperflow._errors import RegistryError
from hyperflow.registry._semver import SemVer
from hyperflow.store import SQLStore
from hyperflow.store import _schema as S

__all__ = ["AliasMove", "Catalog", "ModelVersion"]


@dataclass(frozen=True)
class ModelVersion:
    """One registered version of a model: an inference pipeline plus one run's artifacts.

    Attributes:
        name, version: the model and its semantic version (a string).
        run_id: the run whose artifacts it binds.
        aliases: the aliases pointing at it now (``latest`` included when it is).
        tags, description, status (``active`` or ``archived``), created_at.
        lineage: config, code versions, data fingerprints, metrics, environment and
            artifact hashes of the run.
        predict_ref: ``module:attr`` of the inference pipeline; ``code_version`` its version.
        artifacts: name -> ``{"digest", "format", "size", "type"}``.
    """

    name: str
    version: str
    run_id: str | None
    aliases: list[str]
    tags: dict[str, str]
    lineage: dict[str, Any]
    created_at: float
    predict_ref: str
    code_version: str | None
    artifacts: dict[str, dict[str, Any]]
    metrics: dict[str, float] = field(default_factory=dict)
    description: str | None = None
    status: str = "active"
    created_by: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.name}:{self.version}"


@dataclass(frozen=True)
class AliasMove:
    """One recorded move of an alias: who, when, from which version to which, and why."""

    alias: str
    from_version: str | None
    to_version: str | None
    who: str | None
    at: float
    reason: str | None
    rollback: bool


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user database (containers)
        return "unknown"


class Catalog:
    """Registry operations on one SQL metadata store."""

    def __init__(self, store: SQLStore) -> None:
        if not isinstance(store, SQLStore):
            raise RegistryError(
                f"the model registry needs a SQL metadata store, but got {store!r}; use a "
                "sqlite:/// or postgresql+psycopg:// store URL"
            )
        self.store = store

    # -- reads ------------------------------------------------------------------------------
    def _row_to_version(self, row: Any, aliases: list[str]) -> ModelVersion:
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
            sa.select(S.model_versions.c.version)
            .where(S.model_versions.c.name == name, S.model_versions.c.status == "active")
            .order_by(S.model_versions.c.sort_key.desc())
            .limit(1)
        ).first()
        return None if row is None else str(row[0])

    def models(self) -> list[str]:
        with self.store.engine.connect() as conn:
            return [
                r[0] for r in conn.execute(sa.select(S.models.c.name).order_by(S.models.c.name))
            ]

    def require_model(self, name: str) -> None:
        """Raise ``RegistryError`` (naming the known models) when ``name`` is not registered."""
        with self.store.engine.connect() as conn:
            if conn.execute(sa.select(S.models.c.name).where(S.models.c.name == name)).first():
                return
            raise RegistryError(self._missing(conn, name, "versions"))

    def versions(self, name: str, *, include_archived: bool = True) -> list[ModelVersion]:
        """Every version of ``name``, newest (highest precedence) first."""
        self.require_model(name)
        with self.store.engine.connect() as conn:
            q = sa.select(S.model_versions).where(S.model_versions.c.name == name)
            if not include_archived:
                q = q.where(S.model_versions.c.status == "active")
            rows = conn.execute(q.order_by(S.model_versions.c.sort_key.desc())).all()
            aliases = self._aliases(conn, name)
        return [self._row_to_version(r, aliases.get(r.version, [])) for r in rows]

    def get(self, name: str, version: str) -> ModelVersion:
        with self.store.engine.connect() as conn:
            row = conn.execute(
                sa.select(S.model_versions).where(
                    S.model_versions.c.name == name, S.model_versions.c.version == version
                )
            ).first()
            if row is None:
                raise RegistryError(self._missing(conn, name, f"version {version!r}"))
            aliases = self._aliases(conn, name)
        return self._row_to_version(row, aliases.get(version, []))

    def resolve_alias(self, name: str, alias: str) -> str:
        with self.store.engine.connect() as conn:
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
        known = conn.execute(sa.select(S.models.c.name).where(S.models.c.name == name)).first()
        if known is None:
            names = sorted(r[0] for r in conn.execute(sa.select(S.models.c.name)))
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            return (
                f"no model {name!r} in the registry{hint} (models: {', '.join(names) or 'none'}); "
                "register one with hf.registry.register"
            )
        versions = [
            r[0]
            for r in conn.execute(
                sa.select(S.model_versions.c.version)
                .where(S.model_versions.c.name == name)
                .order_by(S.model_versions.c.sort_key.desc())
            )
        ]
        aliases = [
            r[0] for r in conn.execute(sa.select(S.aliases.c.alias).where(S.aliases.c.name == name))
        ]
        return (
            f"model {name!r} has no {what} (versions: {', '.join(versions) or 'none'}; "
            f"aliases: {', '.join(sorted(aliases)) or 'none'})"
        )

    def history(self, name: str, alias: str) -> list[AliasMove]:
        self.require_model(name)
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(S.alias_history)
                .where(S.alias_history.c.name == name, S.alias_history.c.alias == alias)
                .order_by(S.alias_history.c.id)
            ).all()
        return [
            AliasMove(r.alias, r.from_version, r.to_version, r.who, r.at, r.reason, r.rollback)
            for r in rows
        ]

    # -- writes -----------------------------------------------------------------------------
    def add_version(
        self, name: str, version: SemVer | None, bump_part: str | None, row: Mapping[str, Any]
    ) -> str:
        """Insert a version (explicit, or the bump of the newest) in one transaction."""
        from hyperflow.registry._semver import bump

        with self.store.transaction() as conn:
            if (
                conn.execute(sa.select(S.models.c.name).where(S.models.c.name == name)).first()
                is None
            ):
                conn.execute(sa.insert(S.models).values(name=name, created_at=time.time()))
            if version is None:
                newest = conn.execute(
                    sa.select(S.model_versions.c.version)
                    .where(S.model_versions.c.name == name)
                    .order_by(S.model_versions.c.sort_key.desc())
                    .limit(1)
                ).first()
                version = bump(SemVer.parse(newest[0]) if newest else None, bump_part or "minor")
            text = str(version)
            exists = conn.execute(
                sa.select(S.model_versions.c.run_id, S.model_versions.c.created_at).where(
                    S.model_versions.c.name == name, S.model_versions.c.version == text
                )
            ).first()
            if exists is not None:
                raise RegistryError(
                    f"model {name!r} already has version {text} (from run {exists[0]}, registered "
                    f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(exists[1]))}); versions "
                    "are immutable: register with bump= or another version="
                )
            conn.execute(
                sa.insert(S.model_versions).values(
                    name=name,
                    version=text,
                    sort_key=version.sort_key(),
                    status="active",
                    created_at=time.time(),
                    created_by=_who(),
                    **row,
                )
            )
        return text

    def move_alias(
        self,
        name: str,
        alias: str,
        version: str | None,
        *,
        reason: str | None,
        rollback: bool = False,
    ) -> AliasMove:
        """Point ``alias`` at ``version`` (``None`` removes it), recording the move."""
        if alias == "latest":
            raise RegistryError(
                "'latest' is virtual (the newest active version); use another alias"
            )
        with self.store.transaction() as conn:
            if conn.dialect.name == "postgresql":
                # serializes moves of this alias even before its row exists (FOR UPDATE
                # cannot lock a missing row); released at commit
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                    {"k": f"hyperflow-alias:{name}@{alias}"},
                )
            if version is not None:
                found = conn.execute(
                    sa.select(S.model_versions.c.status).where(
                        S.model_versions.c.name == name, S.model_versions.c.version == version
                    )
                ).first()
                if found is None:
                    raise RegistryError(self._missing(conn, name, f"version {version!r}"))
                if found[0] != "active":
                    raise RegistryError(
                        f"{name}:{version} is archived, and archived versions take no aliases; "
                        f"point {alias!r} at an active version"
                    )
            current = conn.execute(
                sa.select(S.aliases.c.version).where(
                    S.aliases.c.name == name, S.aliases.c.alias == alias
                )
            ).first()
            previous = None if current is None else str(current[0])
            if version is None and previous is None:
                raise RegistryError(self._missing(conn, name, f"alias {alias!r}"))
            now = time.time()
            if version is None:
                conn.execute(
                    sa.delete(S.aliases).where(S.aliases.c.name == name, S.aliases.c.alias == alias)
                )
            elif previous is None:
                conn.execute(
                    sa.insert(S.aliases).values(
                        name=name, alias=alias, version=version, updated_at=now
                    )
                )
            else:
                conn.execute(
                    sa.update(S.aliases)
                    .where(S.aliases.c.name == name, S.aliases.c.alias == alias)
                    .values(version=version, updated_at=now)
                )
            move = AliasMove(alias, previous, version, _who(), now, reason, rollback)
            conn.execute(
                sa.insert(S.alias_history).values(
                    name=name,
                    alias=alias,
                    from_version=previous,
                    to_version=version,
                    who=move.who,
                    at=now,
                    reason=reason,
                    rollback=rollback,
                )
            )
        return move

    def rollback_target(self, name: str, alias: str) -> str:
        """The version ``alias`` pointed at before its current target was set.

        Walks back over earlier rollbacks, so repeated rollbacks step further back.
        """
        current = self.resolve_alias(name, alias)
        moves = self.history(name, alias)
        for move in reversed(moves):
            if move.to_version == current and not move.rollback:
                if move.from_version is None:
                    break
                return move.from_version
        raise RegistryError(
            f"alias {alias!r} of model {name!r} has no earlier target to roll back to "
            f"(it points at {current}; history: "
            + ", ".join(f"{m.from_version}->{m.to_version}" for m in moves)
            + ")"
        )

    def set_status(self, name: str, version: str, status: str) -> None:
        with self.store.transaction() as conn:
            pointing = [
                r[0]
                for r in conn.execute(
                    sa.select(S.aliases.c.alias).where(
                        S.aliases.c.name == name, S.aliases.c.version == version
                    )
                )
            ]
            if status == "deleted" and pointing:
                raise RegistryError(
                    f"cannot delete {name}:{version}: alias(es) {', '.join(sorted(pointing))} "
                    "point at it; move them first (set_alias/rollback), or archive it instead"
                )
            if status == "archived" and pointing:
                raise RegistryError(
                    f"cannot archive {name}:{version}: alias(es) {', '.join(sorted(pointing))} "
                    "point at it, and archived versions take no aliases; move or remove them "
                    "first (set_alias/rollback/remove_alias)"
                )
            where = (S.model_versions.c.name == name) & (S.model_versions.c.version == version)
            if conn.execute(sa.select(S.model_versions.c.version).where(where)).first() is None:
                raise RegistryError(self._missing(conn, name, f"version {version!r}"))
            if status == "deleted":
                conn.execute(sa.delete(S.model_versions).where(where))
            else:
                conn.execute(sa.update(S.model_versions).where(where).values(status=status))

    def record_suite(
        self,
        name: str,
        version: str,
        suite_ref: str,
        passed: bool,
        pass_rate: float,
        result_json: str,
    ) -> None:
        self.get(name, version)
        with self.store.transaction() as conn:
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

    def suite_results(self, name: str, version: str) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(S.suite_results)
                .where(S.suite_results.c.name == name, S.suite_results.c.version == version)
                .order_by(S.suite_results.c.id.desc())
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
