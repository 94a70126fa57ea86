"""Tables of the closed loop (revision 0009), shared by the stores that read and write them.

* ``hf_traffic``: one traffic policy per model (JSON: alias weights, shadow alias,
  sticky key); absent means "the alias the server was started with gets everything".
* ``hf_events``: the append-only chain of what happened to a model and why
  (``cause_id`` points at the event that caused this one: alert -> retrain -> gate ->
  rollout step -> promotion or rollback).
* ``hf_gate_decisions``: one champion/challenger decision with every rule's figures.
* ``hf_leases``: time-limited ownership of a scope (e.g. one model) by one agent.
* ``hf_actions``: long-running actions (retrain, rollout) with their resumable state.
"""

from __future__ import annotations

import sqlalchemy as sa

from hyperflow.store import _schema as S

__all__ = ["actions", "events", "gate_decisions", "leases", "traffic"]

VERSION = sa.String(128)

traffic = sa.Table(
    "hf_traffic",
    S.metadata,
    sa.Column("name", S.KEY, primary_key=True),
    sa.Column("policy", sa.Text, nullable=False),  # JSON
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("cause", sa.Text, nullable=True),
    sa.Column("event_id", S.BIGINT, nullable=True),
)
events = sa.Table(
    "hf_events",
    S.metadata,
    sa.Column("id", S.BIGINT, primary_key=True, autoincrement=True),
    sa.Column("name", S.KEY, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("cause_id", S.BIGINT, nullable=True),
    sa.Column("actor", sa.String(250), nullable=True),
    sa.Column("detail", sa.Text, nullable=False),  # JSON
    sa.Index("ix_hf_events_name_id", "name", "id"),
)
gate_decisions = sa.Table(
    "hf_gate_decisions",
    S.metadata,
    sa.Column("id", S.BIGINT, primary_key=True, autoincrement=True),
    sa.Column("name", S.KEY, nullable=False),
    sa.Column("challenger", VERSION, nullable=True),
    sa.Column("champion", VERSION, nullable=True),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("rules", sa.Text, nullable=False),  # JSON list of rule results
    sa.Column("runs", sa.Text, nullable=False),  # JSON: run ids compared
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("event_id", S.BIGINT, nullable=True),
    sa.Index("ix_hf_gate_decisions_name", "name", "challenger"),
)
leases = sa.Table(
    "hf_leases",
    S.metadata,
    sa.Column("scope", S.KEY, primary_key=True),
    sa.Column("owner", sa.String(250), nullable=False),
    sa.Column("acquired_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)
actions = sa.Table(
    "hf_actions",
    S.metadata,
    sa.Column("id", S.BIGINT, primary_key=True, autoincrement=True),
    sa.Column("name", S.KEY, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # running | done | reverted | failed
    sa.Column("state", sa.Text, nullable=False),  # JSON, resumable
    sa.Column("owner", sa.String(250), nullable=True),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Index("ix_hf_actions_name_status", "name", "status"),
)
