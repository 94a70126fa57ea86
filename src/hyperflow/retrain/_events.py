"""The loop's chain of events: ``record_event`` writes one, ``events`` reads them back.

Every action of the closed loop (an alert, a trigger, a retrain, the gate's decision,
each rollout step, a promotion or rollback) is one event; ``cause`` links it to the
event that caused it, so ``hyperflow events NAME`` prints the chain.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from hyperflow._errors import RetrainError
from hyperflow.store import (
    EventRecord,
    EventStore,
    MetadataStore,
    actor,
    get_event_store,
)

__all__ = ["EVENT_KINDS", "Event", "events", "record_event"]

#: What an event can be (``Event.kind``).
EVENT_KINDS: tuple[str, ...] = (
    "alert",
    "trigger",
    "retrain",
    "gate",
    "traffic",
    "rollout.start",
    "rollout.step",
    "rollout.wait",
    "promote",
    "rollback",
    "agent",
)

EventStoreArg = EventStore | MetadataStore | str | None


class Event(EventRecord):
    """One thing that happened to a model, and (``cause_id``) which event caused it.

    Attributes:
        id: its position in the chain (increasing); name: the model.
        kind: one of :data:`EVENT_KINDS`; at: epoch seconds.
        cause_id: the id of the event that caused this one, or ``None``.
        actor: who acted (an agent's id, a token name or the OS user).
        detail: a JSON object with the particulars (figures, versions, run ids).
    """


def _event(record: EventRecord) -> Event:
    values = {f.name: getattr(record, f.name) for f in fields(EventRecord)}
    return Event(**{**values, "detail": dict(record.detail)})


def record_event(
    name: str,
    kind: str,
    detail: Mapping[str, Any],
    *,
    cause: int | None = None,
    store: EventStoreArg = None,
) -> int:
    """Append one event to ``name``'s chain and return its id.

    Args:
        name: the model.
        kind: one of :data:`EVENT_KINDS` (anything else is a ``RetrainError``).
        detail: JSON-able particulars (figures, versions, run ids).
        cause: the id of the event that caused this one (must exist).
        store: the metadata store (default: the project's), a URL or an ``EventStore``.

    Example:
        >>> alert = record_event("weather", "alert", {"rule": "drift"}, store="sqlite://")
        >>> alert >= 1
        True
    """
    if kind not in EVENT_KINDS:
        close = difflib.get_close_matches(kind, EVENT_KINDS, 1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise RetrainError(
            f"unknown event kind {kind!r}; expected one of {', '.join(EVENT_KINDS)}{hint}"
        )
    record = get_event_store(store).add_event(name, kind, detail, cause_id=cause, actor=actor())
    return record.id


def events(
    name: str | None = None, *, limit: int = 100, store: EventStoreArg = None
) -> list[Event]:
    """The newest ``limit`` events of ``name`` (or of every model), oldest first.

    Example:
        >>> events("nothing-here", store="sqlite://")
        []
    """
    if limit < 1:
        raise RetrainError(f"limit must be >= 1, but got {limit}")
    return [_event(r) for r in get_event_store(store).events(name, limit=limit)]
