"""Lineage, crash detection, node timings, artifacts, latest metrics for fast search.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(32)
KEY = sa.String(250)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("hf_runs", sa.Column("failed_node", sa.String(250), nullable=True))
    op.add_column("hf_runs", sa.Column("traceback", sa.Text, nullable=True))
    op.add_column("hf_runs", sa.Column("pid", sa.Integer, nullable=True))
    op.add_column("hf_runs", sa.Column("host", sa.String(250), nullable=True))
    op.add_column("hf_runs", sa.Column("heartbeat", sa.Float, nullable=True))
    op.add_column("hf_runs", sa.Column("lineage", sa.Text, nullable=True))
    op.create_table(
        "hf_latest_metrics",
        sa.Column(
            "run_id", ID, sa.ForeignKey("hf_runs.run_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("key", KEY, primary_key=True),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
    )
    op.create_index("ix_hf_latest_key_value", "hf_latest_metrics", ["key", "value"])
    # backfill: the latest point of each (run, key) = highest step, then last logged
    op.execute(
        """
        INSERT INTO hf_latest_metrics (run_id, key, step, value)
        SELECT m.run_id, m.key, m.step, m.value FROM hf_metrics m
        WHERE NOT EXISTS (
            SELECT 1 FROM hf_metrics o WHERE o.run_id = m.run_id AND o.key = m.key
            AND (o.step > m.step OR (o.step = m.step AND o.id > m.id)))
        """
    )
    op.create_table(
        "hf_nodes",
        sa.Column(
            "run_id", ID, sa.ForeignKey("hf_runs.run_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("key", KEY, primary_key=True),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("cache_hit", sa.Boolean, nullable=False),
        sa.Column("code_version", sa.String(128), nullable=True),
    )
    op.create_table(
        "hf_artifacts",
        sa.Column(
            "run_id", ID, sa.ForeignKey("hf_runs.run_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("name", KEY, primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False, index=True),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("size", BIGINT, nullable=False),
        sa.Column("type", sa.String(250), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("hf_artifacts")
    op.drop_table("hf_nodes")
    op.drop_table("hf_latest_metrics")
    for col in ("lineage", "heartbeat", "host", "pid", "traceback", "failed_node"):
        op.drop_column("hf_runs", col)
