"""Leases and resumable actions: who may act on a model now, and what was left half-done.

* a **lease** gives one owner (an agent) a scope (``"model:weather"``) until it expires;
  the owner renews it while it works, and a crashed owner's lease simply runs out;
* an **action** (``hf_actions``) is a long-running step (a retrain, a rollout) with its
  resumable state as JSON; an agent that starts finds the actions left ``running`` by a
  dead owner and finishes or reverts them.

:class:`LeaseStore` is the contract; :class:`SQLLeaseStore` keeps it in the metadata
store. Every implementation passes ``LeaseStoreSuite``
(``hyperflow.store._leases_conformance``), run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import abc
import enum
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hyperflow._errors import StoreError
from hyperflow.store import _loop_schema as L

if TYPE_CHECKING:
    from hyperflow.store._sql import SQLStore

__all__ = ["Action", "ActionStatus", "Lease", "LeaseStore", "SQLLeaseStore", "get_lease_store"]


class ActionStatus(enum.StrEnum):
    """Where an action stands: ``running`` until it is ``done``, ``reverted`` or ``failed``."""

    RUNNING = "running"
    DONE = "done"
    REVERTED = "reverted"
    FAILED = "failed"


@dataclass(frozen=True)
class Lease:
    """``owner`` holds ``scope`` from ``acquired_at`` until ``expires_at`` (epoch seconds)."""

    scope: str
    owner: str
    acquired_at: float
    expires_at: float


@dataclass(frozen=True)
class Action:
    """One long-running action of a model, with its resumable ``state`` (a JSON object)."""

    id: int
    name: str
    kind: str
    status: ActionStatus
    state: dict[str, Any] = field(default_factory=dict)
    owner: str | None = None
    started_at: float = 0.0
    updated_at: float = 0.0


class LeaseStore(abc.ABC):
    """Where leases and actions are kept.

    Contract:
        * ``acquire`` is atomic across threads, processes and machines: of any number of
          owners racing for a free (or expired) scope, exactly one gets the lease; the
          holder calling it again extends its lease (``acquired_at`` kept).
        * ``renew`` extends only a lease the caller still holds and has not expired, and
          says whether it did; ``release`` gives back only the caller's own lease.
        * ``expire`` deletes the leases that ran out (returns how many).
        * An action starts ``running``; ``update_action`` replaces its state (and owner);
          ``finish_action`` sets a final status once (finishing a finished action is a
          ``StoreError``); ``unfinished`` lists the running ones, oldest first.
        * Records returned by reads are never changed by later writes.
    """

    @abc.abstractmethod
    def acquire(self, scope: str, owner: str, ttl: float) -> Lease | None:
        """Take (or extend) ``scope`` for ``ttl`` seconds; ``None`` when another holds it."""

    @abc.abstractmethod
    def renew(self, scope: str, owner: str, ttl: float) -> bool:
        """Extend ``owner``'s live lease by ``ttl`` from now; ``False`` when it was lost."""

    @abc.abstractmethod
    def release(self, scope: str, owner: str) -> bool:
        """Give back ``owner``'s lease; ``False`` when it held none."""

    @abc.abstractmethod
    def holder(self, scope: str) -> Lease | None:
        """The live lease of ``scope`` (``None`` when free or expired)."""

    @abc.abstractmethod
    def expire(self, now: float | None = None) -> int:
        """Delete the leases expired at ``now`` (default: now); return how many."""

    @abc.abstractmethod
    def start_action(
        self, name: str, kind: str, state: Mapping[str, Any], *, owner: str | None = None
    ) -> Action:
        """Record a new ``running`` action of model ``name``."""

    @abc.abstractmethod
    def update_action(
        self, action_id: int, state: Mapping[str, Any], *, owner: str | None = None
    ) -> Action:
        """Replace a running action's state (and its owner when given)."""

    @abc.abstractmethod
    def finish_action(
        self, action_id: int, status: ActionStatus, state: Mapping[str, Any] | None = None
    ) -> Action:
        """Set the final status (``done``, ``reverted`` or ``failed``) of a running action."""

    @abc.abstractmethod
    def get_action(self, action_id: int) -> Action:
        """The action ``action_id`` (``StoreError`` when unknown)."""

    @abc.abstractmethod
    def unfinished(self, name: str | None = None, kind: str | None = None) -> list[Action]:
        """Running actions (of ``name`` / ``kind``), oldest first."""

    @abc.abstractmethod
    def actions(
        self, name: str, *, kind: str | None = None, limit: int = 20
    ) -> list[Action]:
        """The newest ``limit`` actions of ``name`` (any status), oldest first."""


def _action(row: Any) -> Action:
    return Action(
        id=int(row.id), name=row.name, kind=row.kind, status=ActionStatus(row.status),
        state=json.loads(row.state), owner=row.owner, started_at=float(row.started_at),
        updated_at=float(row.updated_at),
    )


def _dumps(state: Mapping[str, Any]) -> str:
    return json.dumps(dict(state), sort_keys=True, default=str)


class SQLLeaseStore(LeaseStore):
    """Leases and actions in the SQL metadata store (``hf_leases``, ``hf_actions``).

    ``acquire`` is one ``INSERT .. ON CONFLICT DO UPDATE .. WHERE`` (expired, or ours)
    ``RETURNING``: PostgreSQL locks the conflicting row, SQLite writers are serialized,
    so exactly one of several racers gets a row back.
    """

    def __init__(self, store: SQLStore) -> None:
        self._store = store
        self._engine = store.engine

    def __repr__(self) -> str:
        return f"SQLLeaseStore({self._store.url!r})"

    def _insert(self) -> Any:
        if self._store.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        return insert(L.leases)

    def acquire(self, scope: str, owner: str, ttl: float) -> Lease | None:
        t = L.leases
        now = time.time()
        stmt = self._insert().values(
            scope=scope, owner=owner, acquired_at=now, expires_at=now + ttl
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["scope"],
            set_={
                "owner": stmt.excluded.owner,
                "expires_at": stmt.excluded.expires_at,
                "acquired_at": sa.case(
                    (t.c.owner == stmt.excluded.owner, t.c.acquired_at),
                    else_=stmt.excluded.acquired_at,
                ),
            },
            where=sa.or_(t.c.expires_at <= now, t.c.owner == stmt.excluded.owner),
        ).returning(t.c.scope, t.c.owner, t.c.acquired_at, t.c.expires_at)
        with self._store._tx() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            return None
        return Lease(row.scope, row.owner, float(row.acquired_at), float(row.expires_at))

    def renew(self, scope: str, owner: str, ttl: float) -> bool:
        t = L.leases
        now = time.time()
        with self._store._tx() as conn:
            done = conn.execute(
                sa.update(t)
                .where(t.c.scope == scope, t.c.owner == owner, t.c.expires_at > now)
                .values(expires_at=now + ttl)
            )
        return bool(done.rowcount)

    def release(self, scope: str, owner: str) -> bool:
        t = L.leases
        with self._store._tx() as conn:
            done = conn.execute(sa.delete(t).where(t.c.scope == scope, t.c.owner == owner))
        return bool(done.rowcount)

    def holder(self, scope: str) -> Lease | None:
        t = L.leases
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(t).where(t.c.scope == scope, t.c.expires_at > time.time())
            ).first()
        if row is None:
            return None
        return Lease(row.scope, row.owner, float(row.acquired_at), float(row.expires_at))

    def expire(self, now: float | None = None) -> int:
        t = L.leases
        cutoff = time.time() if now is None else now
        with self._store._tx() as conn:
            done = conn.execute(sa.delete(t).where(t.c.expires_at <= cutoff))
        return int(done.rowcount)

    def start_action(
        self, name: str, kind: str, state: Mapping[str, Any], *, owner: str | None = None
    ) -> Action:
        a = L.actions
        now = time.time()
        row = {
            "name": name, "kind": kind, "status": ActionStatus.RUNNING.value,
            "state": _dumps(state), "owner": owner, "started_at": now, "updated_at": now,
        }
        with self._store._tx() as conn:
            new_id = conn.execute(sa.insert(a).values(**row).returning(a.c.id)).scalar_one()
        return self.get_action(int(new_id))

    def _set(self, action_id: int, values: dict[str, Any], verb: str) -> Action:
        a = L.actions
        values["updated_at"] = time.time()
        with self._store._tx() as conn:
            done = conn.execute(
                sa.update(a)
                .where(a.c.id == action_id, a.c.status == ActionStatus.RUNNING.value)
                .values(**values)
            )
        if not done.rowcount:
            found = self.get_action(action_id)
            raise StoreError(
                f"cannot {verb} action {action_id} ({found.kind} of {found.name!r}): it is "
                f"already {found.status.value}"
            )
        return self.get_action(action_id)

    def update_action(
        self, action_id: int, state: Mapping[str, Any], *, owner: str | None = None
    ) -> Action:
        values: dict[str, Any] = {"state": _dumps(state)}
        if owner is not None:
            values["owner"] = owner
        return self._set(action_id, values, "update")

    def finish_action(
        self, action_id: int, status: ActionStatus, state: Mapping[str, Any] | None = None
    ) -> Action:
        status = ActionStatus(status)
        if status is ActionStatus.RUNNING:
            raise StoreError(
                f"finish_action needs a final status (done, reverted or failed), got {status}"
            )
        values: dict[str, Any] = {"status": status.value}
        if state is not None:
            values["state"] = _dumps(state)
        return self._set(action_id, values, "finish")

    def get_action(self, action_id: int) -> Action:
        a = L.actions
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(a).where(a.c.id == action_id)).first()
        if row is None:
            raise StoreError(f"no action with id {action_id}")
        return _action(row)

    def unfinished(self, name: str | None = None, kind: str | None = None) -> list[Action]:
        a = L.actions
        q = sa.select(a).where(a.c.status == ActionStatus.RUNNING.value)
        if name is not None:
            q = q.where(a.c.name == name)
        if kind is not None:
            q = q.where(a.c.kind == kind)
        with self._engine.connect() as conn:
            rows = conn.execute(q.order_by(a.c.id)).all()
        return [_action(r) for r in rows]

    def actions(self, name: str, *, kind: str | None = None, limit: int = 20) -> list[Action]:
        a = L.actions
        q = sa.select(a).where(a.c.name == name)
        if kind is not None:
            q = q.where(a.c.kind == kind)
        with self._engine.connect() as conn:
            rows = conn.execute(q.order_by(a.c.id.desc()).limit(limit)).all()
        return [_action(r) for r in reversed(rows)]


def get_lease_store(store: Any = None) -> LeaseStore:
    """The lease store of ``store`` (``None``: the project's metadata store, a URL, or a
    ``LeaseStore`` as is)."""
    from hyperflow.store._factory import sql_store

    if isinstance(store, LeaseStore):
        return store
    return SQLLeaseStore(sql_store(store, "leases need"))
