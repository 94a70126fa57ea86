"""Monitoring: reference profiles, checks (one per target and window), alerts and events.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

KEY = sa.String(250)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "hf_monitor_references",
        sa.Column("name", KEY, primary_key=True),
        sa.Column("version", sa.String(128), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("n_rows", sa.Integer, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("calibration", sa.Text, nullable=True),
    )
    op.create_table(
        "hf_monitor_checks",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("name", KEY, nullable=False),
        sa.Column("target", KEY, nullable=False),
        sa.Column("version", sa.String(128), nullable=True),
        sa.Column("window_start", sa.Float, nullable=False),
        sa.Column("window_end", sa.Float, nullable=False),
        sa.Column("figures", sa.Text, nullable=False),
        sa.Column("rules", sa.Text, nullable=False),
        sa.Column("report", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("target", "window_start", "window_end", name="uq_hf_monitor_window"),
    )
    op.create_table(
        "hf_alerts",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("rule", KEY, nullable=False),
        sa.Column("name", KEY, nullable=False),
        sa.Column("version", sa.String(128), nullable=True),
        sa.Column("severity", sa.String(32), nullable=False),
        sa.Column("fired_at", sa.Float, nullable=False),
        sa.Column("last_sent_at", sa.Float, nullable=False),
        sa.Column("resolved_at", sa.Float, nullable=True),
        sa.Column("check_id", BIGINT, nullable=True),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_hf_alerts_open", "hf_alerts", ["rule", "name", "resolved_at"])
    op.create_index(
        "uq_hf_alerts_one_open", "hf_alerts", ["rule", "name"], unique=True,
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_table(
        "hf_alert_events",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("alert_id", BIGINT, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("channel", sa.String(128), nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
    )
    op.create_index("ix_hf_alert_events_alert_id", "hf_alert_events", ["alert_id"])


def downgrade() -> None:
    op.drop_table("hf_alert_events")
    op.drop_table("hf_alerts")
    op.drop_table("hf_monitor_checks")
    op.drop_table("hf_monitor_references")
