"""The contract of the loop's records: the chain of events and the gate's decisions.

:class:`EventStore` keeps two things the closed loop (``hyperflow.retrain``) writes:

* **events** (:class:`EventRecord`): an append-only chain of what happened to a model
  and why; ``cause_id`` points at the event that caused this one, so an alert, the
  retrain it triggered, the gate's decision and every rollout step read as one chain;
* **gate decisions** (:class:`GateDecisionRecord`): one champion/challenger decision
  with every rule's figures and the runs compared.

:class:`SQLEventStore` keeps them in the metadata store (tables ``hf_events`` and
``hf_gate_decisions`` of revision 0009); :func:`get_event_store` resolves
``None | URL | store | EventStore``. Every implementation passes ``EventStoreSuite``
(``hyperflow.store._events_conformance``, run on SQLite and PostgreSQL by
``tests/store/test_event_store.py``).
"""

from __future__ import annotations

import abc
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hyperflow._errors import StoreError
from hyperflow.store import _loop_schema as L

if TYPE_CHECKING:
    from hyperflow.store._sql import SQLStore

__all__ = [
    "EventRecord",
    "EventStore",
    "GateDecisionRecord",
    "SQLEventStore",
    "get_event_store",
]


@dataclass(frozen=True)
class EventRecord:
    """One thing that happened to a model (``detail``: a JSON object)."""

    id: int
    name: str
    kind: str
    at: float
    cause_id: int | None
    actor: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GateDecisionRecord:
    """One stored gate decision: ``rules`` is a list of JSON objects (one per rule),
    ``runs`` maps a role (``challenger``, ``champion``) to a run id."""

    id: int
    name: str
    challenger: str | None
    champion: str | None
    passed: bool
    rules: list[dict[str, Any]]
    runs: dict[str, Any]
    created_at: float
    event_id: int | None


class EventStore(abc.ABC):
    """Where the loop's events and gate decisions are kept.

    Contract:
        * Safe from several threads and processes; each write is one transaction.
        * ``add_event`` is the only write to the chain; ids increase in the order of
          appends, and events are never changed. A ``cause_id`` must name an existing
          event (else ``StoreError``), so a chain never points into nothing.
        * ``events`` returns the newest ``limit`` events (of one model, or all),
          oldest first; ``event`` one by id (``None`` when unknown).
        * ``add_decision`` stores a decision; ``decisions`` returns a model's
          decisions oldest first (optionally only those of one challenger version).
        * A record returned by a read is never changed by later writes or by the caller.
    """

    @abc.abstractmethod
    def add_event(
        self,
        name: str,
        kind: str,
        detail: Mapping[str, Any],
        *,
        cause_id: int | None = None,
        actor: str | None = None,
    ) -> EventRecord:
        """Append one event and return it (with its id and time)."""

    @abc.abstractmethod
    def events(self, name: str | None = None, *, limit: int | None = None) -> list[EventRecord]:
        """The newest ``limit`` events (of ``name``, or of every model), oldest first."""

    @abc.abstractmethod
    def event(self, event_id: int) -> EventRecord | None:
        """One event by id, or ``None``."""

    @abc.abstractmethod
    def add_decision(
        self,
        name: str,
        *,
        challenger: str | None,
        champion: str | None,
        passed: bool,
        rules: Sequence[Mapping[str, Any]],
        runs: Mapping[str, Any],
        event_id: int | None = None,
    ) -> GateDecisionRecord:
        """Store one gate decision and return it."""

    @abc.abstractmethod
    def decisions(self, name: str, *, challenger: str | None = None) -> list[GateDecisionRecord]:
        """The gate decisions of ``name`` (oldest first)."""


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


def _event(row: Any) -> EventRecord:
    return EventRecord(
        id=int(row.id),
        name=row.name,
        kind=row.kind,
        at=float(row.at),
        cause_id=None if row.cause_id is None else int(row.cause_id),
        actor=row.actor,
        detail=json.loads(row.detail),
    )


def _decision(row: Any) -> GateDecisionRecord:
    return GateDecisionRecord(
        id=int(row.id),
        name=row.name,
        challenger=row.challenger,
        champion=row.champion,
        passed=bool(row.passed),
        rules=json.loads(row.rules),
        runs=json.loads(row.runs),
        created_at=float(row.created_at),
        event_id=None if row.event_id is None else int(row.event_id),
    )


class SQLEventStore(EventStore):
    """Events and gate decisions on a :class:`~hyperflow.store.SQLStore`."""

    def __init__(self, store: SQLStore) -> None:
        self._store = store
        self._engine = store.engine

    def __repr__(self) -> str:
        return f"SQLEventStore({self._store.url!r})"

    def add_event(
        self,
        name: str,
        kind: str,
        detail: Mapping[str, Any],
        *,
        cause_id: int | None = None,
        actor: str | None = None,
    ) -> EventRecord:
        E = L.events
        row = {
            "name": name,
            "kind": kind,
            "at": time.time(),
            "cause_id": cause_id,
            "actor": actor,
            "detail": _dumps(dict(detail)),
        }
        with self._store._tx() as conn:
            if cause_id is not None:
                found = conn.execute(sa.select(E.c.id).where(E.c.id == cause_id)).first()
                if found is None:
                    raise StoreError(
                        f"cause event {cause_id} does not exist; pass the id returned by "
                        "record_event (or cause=None)"
                    )
            new_id = conn.execute(sa.insert(E).values(**row).returning(E.c.id)).scalar_one()
        return _event(_Obj(id=new_id, **row))

    def events(self, name: str | None = None, *, limit: int | None = None) -> list[EventRecord]:
        E = L.events
        q = sa.select(E)
        if name is not None:
            q = q.where(E.c.name == name)
        q = q.order_by(E.c.id.desc())
        if limit is not None:
            q = q.limit(limit)
        with self._engine.connect() as conn:
            rows = conn.execute(q).all()
        return [_event(r) for r in reversed(rows)]

    def event(self, event_id: int) -> EventRecord | None:
        E = L.events
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(E).where(E.c.id == event_id)).first()
        return None if row is None else _event(row)

    def add_decision(
        self,
        name: str,
        *,
        challenger: str | None,
        champion: str | None,
        passed: bool,
        rules: Sequence[Mapping[str, Any]],
        runs: Mapping[str, Any],
        event_id: int | None = None,
    ) -> GateDecisionRecord:
        G = L.gate_decisions
        row = {
            "name": name,
            "challenger": challenger,
            "champion": champion,
            "passed": passed,
            "rules": _dumps([dict(r) for r in rules]),
            "runs": _dumps(dict(runs)),
            "created_at": time.time(),
            "event_id": event_id,
        }
        with self._store._tx() as conn:
            new_id = conn.execute(sa.insert(G).values(**row).returning(G.c.id)).scalar_one()
        return _decision(_Obj(id=new_id, **row))

    def decisions(self, name: str, *, challenger: str | None = None) -> list[GateDecisionRecord]:
        G = L.gate_decisions
        q = sa.select(G).where(G.c.name == name)
        if challenger is not None:
            q = q.where(G.c.challenger == challenger)
        with self._engine.connect() as conn:
            rows = conn.execute(q.order_by(G.c.id)).all()
        return [_decision(r) for r in rows]


class _Obj:
    """Attribute access over a dict (a freshly written row read back without a query)."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


def get_event_store(store: Any = None) -> EventStore:
    """The event store of ``store`` (``None``: the project's metadata store, or a URL)."""
    from hyperflow.store._factory import sql_store

    if isinstance(store, EventStore):
        return store
    return SQLEventStore(sql_store(store, "events need"))
