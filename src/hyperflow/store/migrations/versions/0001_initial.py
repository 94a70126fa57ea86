"""First schema: runs, params, metrics, tags.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(32)
KEY = sa.String(250)


def upgrade() -> None:
    op.create_table(
        "hf_runs",
        sa.Column("run_id", ID, primary_key=True),
        sa.Column("name", sa.String(250), nullable=True),
        sa.Column("pipeline", sa.String(250), nullable=True, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_time", sa.Float, nullable=False, index=True),
        sa.Column("end_time", sa.Float, nullable=True),
        sa.Column("parent_id", ID, nullable=True, index=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("config", sa.Text, nullable=True),
    )
    op.create_table(
        "hf_params",
        sa.Column(
            "run_id", ID, sa.ForeignKey("hf_runs.run_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("key", KEY, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("num", sa.Float, nullable=True),
    )
    op.create_table(
        "hf_metrics",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column(
            "run_id", ID, sa.ForeignKey("hf_runs.run_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("key", KEY, nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("timestamp", sa.Float, nullable=False),
    )
    op.create_index("ix_hf_metrics_run_key", "hf_metrics", ["run_id", "key", "step"])
    op.create_table(
        "hf_tags",
        sa.Column(
            "run_id", ID, sa.ForeignKey("hf_runs.run_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("key", KEY, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("hf_tags", "hf_metrics", "hf_params", "hf_runs"):
        op.drop_table(table)
