"""The traffic policy store: how a model's requests are split between its versions.

``TrafficStore`` is the pluggable contract; :class:`SQLTrafficStore` keeps one policy per
model in the ``hf_traffic`` table (revision 0009). The registry validates a policy
(``hf.registry.set_traffic``) and writes it here; every running server of the model reads it
back within its reload poll, so a policy set from any process reaches them all.
"""

from __future__ import annotations

import abc
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hyperflow._errors import StoreError
from hyperflow.store import _loop_schema as L

if TYPE_CHECKING:
    from hyperflow.store._sql import SQLStore

__all__ = ["SQLTrafficStore", "TrafficPolicy", "TrafficStore", "get_traffic_store"]


@dataclass(frozen=True)
class TrafficPolicy:
    """How the requests of model ``name`` are split.

    Attributes:
        name: the model.
        weights: alias (or exact version) -> percent of requests; the percents sum to 100.
        shadow: an alias (or version) that gets a copy of every request; its answers are
            logged (arm ``"shadow"``), never returned.
        sticky: a request field or header whose value picks the version deterministically
            (the same value, the same version); ``None``: random with the weights.
        updated_at: when the policy was set (epoch seconds).
        cause: why it was set (free text, e.g. "rollout step 2 of 3").
        timeout_s: the longest a routed prediction may take before it is answered 504
            (``None``: the server's default).
    """

    name: str
    weights: dict[str, float]
    shadow: str | None = None
    sticky: str | None = None
    updated_at: float = 0.0
    cause: str | None = None
    timeout_s: float | None = None

    def to_json(self) -> str:
        """The stored form (weights, shadow, sticky, timeout; name and time are columns)."""
        body: dict[str, Any] = {
            "weights": dict(self.weights), "shadow": self.shadow, "sticky": self.sticky,
        }
        if self.timeout_s is not None:
            body["timeout_s"] = self.timeout_s
        return json.dumps(body)  # weights keep their order: it fixes the sticky ranges

    @classmethod
    def from_json(
        cls, name: str, text: str, updated_at: float, cause: str | None
    ) -> TrafficPolicy:
        """Rebuild a policy from its stored form."""
        body = json.loads(text)
        return cls(
            name=name,
            weights={str(k): float(v) for k, v in body.get("weights", {}).items()},
            shadow=body.get("shadow"),
            sticky=body.get("sticky"),
            updated_at=updated_at,
            cause=cause,
            timeout_s=body.get("timeout_s"),
        )


class TrafficStore(abc.ABC):
    """Where traffic policies are kept: at most one per model.

    Contract:
        * Safe from several threads and processes; each write is one transaction.
        * ``put`` replaces the model's policy as a whole (the last writer wins); ``get``
          returns exactly what the last ``put`` stored (weights, shadow, sticky, timeout,
          time and cause), or ``None`` after ``delete`` or before any ``put``.
        * ``delete`` returns whether a policy was there.
        * The store does not validate aliases or weights (the registry does); it refuses
          only what it cannot store (an empty model name).
        * A record returned by a read is never changed by later writes.
    """

    @abc.abstractmethod
    def get(self, name: str) -> TrafficPolicy | None:
        """The policy of model ``name``, or ``None``."""

    @abc.abstractmethod
    def put(self, policy: TrafficPolicy) -> None:
        """Store ``policy`` as model ``policy.name``'s policy (replacing any)."""

    @abc.abstractmethod
    def delete(self, name: str) -> bool:
        """Remove the policy of ``name``; ``True`` when there was one."""

    @abc.abstractmethod
    def policies(self) -> list[TrafficPolicy]:
        """Every stored policy, by model name."""


class SQLTrafficStore(TrafficStore):
    """Traffic policies in the ``hf_traffic`` table of a :class:`SQLStore`."""

    def __init__(self, store: SQLStore) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"SQLTrafficStore({self.store.url!r})"

    def get(self, name: str) -> TrafficPolicy | None:
        t = L.traffic
        with self.store.engine.connect() as conn:
            r = conn.execute(sa.select(t).where(t.c.name == name)).first()
        if r is None:
            return None
        return TrafficPolicy.from_json(r.name, r.policy, r.updated_at, r.cause)

    def put(self, policy: TrafficPolicy) -> None:
        if not policy.name:
            raise StoreError("a traffic policy needs a model name, but got an empty one")
        t = L.traffic
        row = {
            "name": policy.name, "policy": policy.to_json(), "updated_at": policy.updated_at,
            "cause": policy.cause, "event_id": None,
        }
        upsert = self.store._upsert(t, ["name"], ["policy", "updated_at", "cause", "event_id"])
        with self.store.transaction() as conn:  # one statement: concurrent writers never collide
            conn.execute(upsert, [row])

    def delete(self, name: str) -> bool:
        t = L.traffic
        with self.store.transaction() as conn:
            return bool(conn.execute(t.delete().where(t.c.name == name)).rowcount)

    def policies(self) -> list[TrafficPolicy]:
        t = L.traffic
        with self.store.engine.connect() as conn:
            rows = conn.execute(sa.select(t).order_by(t.c.name)).all()
        return [TrafficPolicy.from_json(r.name, r.policy, r.updated_at, r.cause) for r in rows]


def get_traffic_store(store: Any = None) -> TrafficStore:
    """The traffic store of ``store``: a ``TrafficStore`` as is, else the metadata store's
    (``None``: the default store, or a URL).

    Example:
        >>> import tempfile
        >>> s = get_traffic_store(f"sqlite:///{tempfile.mkdtemp()}/t.db")
        >>> s.put(TrafficPolicy("m", {"production": 90.0, "candidate": 10.0}))
        >>> s.get("m").weights
        {'production': 90.0, 'candidate': 10.0}
    """
    from hyperflow.store._factory import sql_store

    if isinstance(store, TrafficStore):
        return store
    return sql_store(store, "traffic policies need").traffic_store()
