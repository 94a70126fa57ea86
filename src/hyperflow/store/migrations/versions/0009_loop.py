"""The closed loop: traffic policies, events, gate decisions, agent leases and actions.

Also marks each prediction-log row with the traffic ``arm`` that produced it
(``NULL`` for a plain single-version server, ``"primary"``, ``"canary"`` or
``"shadow"``), so both arms of a rollout are in the log and shadow rows never count
as served responses; and with the HTTP ``status`` of the answer (``NULL`` means 200,
as in rows written before this revision), so a failed request is a row too and error
rates per version can be read back.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

KEY = sa.String(250)
VERSION = sa.String(128)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("hf_predictions") as batch:
        batch.add_column(sa.Column("arm", sa.String(32), nullable=True))
        batch.add_column(sa.Column("status", sa.Integer, nullable=True))
    op.create_table(
        "hf_traffic",
        sa.Column("name", KEY, primary_key=True),
        sa.Column("policy", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("cause", sa.Text, nullable=True),
        sa.Column("event_id", BIGINT, nullable=True),
    )
    op.create_table(
        "hf_events",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("name", KEY, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("cause_id", BIGINT, nullable=True),
        sa.Column("actor", sa.String(250), nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_hf_events_name_id", "hf_events", ["name", "id"])
    op.create_table(
        "hf_gate_decisions",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("name", KEY, nullable=False),
        sa.Column("challenger", VERSION, nullable=True),
        sa.Column("champion", VERSION, nullable=True),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("rules", sa.Text, nullable=False),
        sa.Column("runs", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("event_id", BIGINT, nullable=True),
    )
    op.create_index("ix_hf_gate_decisions_name", "hf_gate_decisions", ["name", "challenger"])
    op.create_table(
        "hf_leases",
        sa.Column("scope", KEY, primary_key=True),
        sa.Column("owner", sa.String(250), nullable=False),
        sa.Column("acquired_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_table(
        "hf_actions",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("name", KEY, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("owner", sa.String(250), nullable=True),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_hf_actions_name_status", "hf_actions", ["name", "status"])


def downgrade() -> None:
    op.drop_table("hf_actions")
    op.drop_table("hf_leases")
    op.drop_table("hf_gate_decisions")
    op.drop_table("hf_events")
    op.drop_table("hf_traffic")
    with op.batch_alter_table("hf_predictions") as batch:
        batch.drop_column("status")
        batch.drop_column("arm")
