"""What the closed loop (issue #17) recorded about a model, read for the dashboard.

Read-only queries on the tables of revision 0009 (``hf_traffic``, ``hf_events``,
``hf_gate_decisions``, ``hf_actions``), in this one module: when the loop's own read
APIs (``hf.registry.traffic``, ``hf.events``, ``hf.retrain.gate_decisions``,
``hf.rollout_status``) are in the package, these functions can call them instead and
nothing else in the dashboard changes. Stored JSON is read tolerantly (a field the
writer left out shows as empty), since the pages must not fail on an older row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from hyperflow.store import MetadataStore
from hyperflow.store import _loop_schema as L

__all__ = [
    "DECISIONS_SHOWN",
    "EVENTS_SHOWN",
    "Decision",
    "Event",
    "LoopView",
    "Rollout",
    "Traffic",
    "loop_of",
]

EVENTS_SHOWN = 50
DECISIONS_SHOWN = 20
_ROLLOUTS_SHOWN = 5


@dataclass(frozen=True)
class Traffic:
    """A model's traffic policy: alias (or version) -> percent, shadow and sticky settings."""

    weights: dict[str, float]
    shadow: str | None
    sticky: str | None
    updated_at: float
    cause: str | None


@dataclass(frozen=True)
class Event:
    """One link of the model's chain of events (``cause_id``: the event that caused it)."""

    id: int
    kind: str
    at: float
    cause_id: int | None
    actor: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class Decision:
    """One gate decision: challenger against champion, with every rule's verdict."""

    id: int
    challenger: str | None
    champion: str | None
    passed: bool
    rules: list[dict[str, Any]]
    runs: dict[str, Any]
    created_at: float
    event_id: int | None


@dataclass(frozen=True)
class Rollout:
    """One rollout (an ``hf_actions`` row of kind ``rollout``) and its resumable state."""

    id: int
    status: str
    state: dict[str, Any]
    owner: str | None
    started_at: float
    updated_at: float

    @property
    def percent(self) -> float | None:
        """The challenger's share of requests at the current step (``None``: unknown)."""
        steps, step = self.state.get("steps"), self.state.get("step")
        if isinstance(steps, list) and isinstance(step, int) and 0 <= step < len(steps):
            return float(steps[step])
        return None


@dataclass
class LoopView:
    """Traffic, rollouts, gate decisions and events of one model (newest first)."""

    traffic: Traffic | None = None
    rollouts: list[Rollout] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def running(self) -> bool:
        """Whether a rollout is in progress (its page then refreshes itself)."""
        return any(r.status == "running" for r in self.rollouts)

    @property
    def empty(self) -> bool:
        """Whether the loop has recorded nothing for the model yet."""
        return not (self.traffic or self.rollouts or self.decisions or self.events)


def _json(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        value = json.loads(text)
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default


def _traffic(conn: sa.Connection, name: str) -> Traffic | None:
    t = L.traffic
    row = conn.execute(sa.select(t).where(t.c.name == name)).first()
    if row is None:
        return None
    body = _json(row.policy, {})
    weights = body.get("weights") if isinstance(body.get("weights"), dict) else {}
    return Traffic({str(k): float(v) for k, v in weights.items()}, body.get("shadow"),
                   body.get("sticky"), float(row.updated_at), row.cause)


def _rollouts(conn: sa.Connection, name: str) -> list[Rollout]:
    a = L.actions
    stmt = (sa.select(a).where(a.c.name == name, a.c.kind == "rollout")
            .order_by(a.c.id.desc()).limit(_ROLLOUTS_SHOWN))
    return [Rollout(int(r.id), r.status, _json(r.state, {}), r.owner, float(r.started_at),
                    float(r.updated_at)) for r in conn.execute(stmt)]


def _decisions(conn: sa.Connection, name: str) -> list[Decision]:
    g = L.gate_decisions
    stmt = (sa.select(g).where(g.c.name == name).order_by(g.c.id.desc())
            .limit(DECISIONS_SHOWN))
    return [Decision(int(r.id), r.challenger, r.champion, bool(r.passed),
                     [x for x in _json(r.rules, []) if isinstance(x, dict)], _json(r.runs, {}),
                     float(r.created_at), None if r.event_id is None else int(r.event_id))
            for r in conn.execute(stmt)]


def _events(conn: sa.Connection, name: str) -> list[Event]:
    e = L.events
    stmt = sa.select(e).where(e.c.name == name).order_by(e.c.id.desc()).limit(EVENTS_SHOWN)
    return [Event(int(r.id), r.kind, float(r.at), None if r.cause_id is None else int(r.cause_id),
                  r.actor, _json(r.detail, {})) for r in conn.execute(stmt)]


def loop_of(store: MetadataStore, name: str) -> LoopView:
    """What the loop recorded for model ``name`` (empty for a store without the tables)."""
    engine = getattr(store, "engine", None)
    if engine is None:
        return LoopView()
    with engine.connect() as conn:
        return LoopView(_traffic(conn, name), _rollouts(conn, name), _decisions(conn, name),
                        _events(conn, name))
