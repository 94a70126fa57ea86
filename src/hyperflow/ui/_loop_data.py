"""What the closed loop (issue #17) recorded about a model, read for the dashboard.

Read through the store's own APIs for the tables of revision 0009: the traffic policy
(:class:`~hyperflow.store.TrafficStore`), the chain of events and the gate's decisions
(:class:`~hyperflow.store.EventStore`) and the rollouts (``hf_actions`` of kind
``rollout``, :class:`~hyperflow.store.LeaseStore`). The pages show them newest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hyperflow.store import (
    Action,
    ActionStatus,
    EventRecord,
    GateDecisionRecord,
    MetadataStore,
    SQLStore,
    TrafficPolicy,
    get_event_store,
    get_lease_store,
    get_traffic_store,
)

__all__ = ["DECISIONS_SHOWN", "EVENTS_SHOWN", "LoopView", "loop_of"]

EVENTS_SHOWN = 50
DECISIONS_SHOWN = 20
_ROLLOUTS_SHOWN = 5
_ROLLOUT = "rollout"  # the kind of a rollout's action (hyperflow.retrain._rollout.KIND)


@dataclass
class LoopView:
    """Traffic, rollouts, gate decisions and events of one model (newest first)."""

    traffic: TrafficPolicy | None = None
    rollouts: list[Action] = field(default_factory=list)
    decisions: list[GateDecisionRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)

    @property
    def running(self) -> bool:
        """Whether a rollout is in progress (its page then refreshes itself)."""
        return any(r.status is ActionStatus.RUNNING for r in self.rollouts)

    @property
    def empty(self) -> bool:
        """Whether the loop has recorded nothing for the model yet."""
        return not (self.traffic or self.rollouts or self.decisions or self.events)

    @staticmethod
    def percent(rollout: Action) -> float | None:
        """The challenger's share of requests at a rollout's current step (``None``: unknown)."""
        steps, step = rollout.state.get("steps"), rollout.state.get("step")
        if isinstance(steps, list) and isinstance(step, int) and 0 <= step < len(steps):
            return float(steps[step])
        return None


def loop_of(store: MetadataStore, name: str) -> LoopView:
    """What the loop recorded for model ``name`` (empty for a store without the tables)."""
    if not isinstance(store, SQLStore):
        return LoopView()
    events = get_event_store(store)
    rollouts = get_lease_store(store).actions(name, kind=_ROLLOUT, limit=_ROLLOUTS_SHOWN)
    return LoopView(
        traffic=get_traffic_store(store).get(name),
        rollouts=rollouts[::-1],
        decisions=events.decisions(name)[::-1][:DECISIONS_SHOWN],
        events=events.events(name, limit=EVENTS_SHOWN)[::-1],
    )
