"""Prediction log: served predictions and the feedback (ground truth) joined to them.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "hf_predictions",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("model", sa.String(250), nullable=False),
        sa.Column("version", sa.String(128), nullable=True),
        sa.Column("timestamp", sa.Float, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("inputs", sa.Text, nullable=False),
        sa.Column("output", sa.Text, nullable=False),
    )
    op.create_index("ix_hf_predictions_request_id", "hf_predictions", ["request_id"])
    op.create_index("ix_hf_predictions_model_time", "hf_predictions", ["model", "timestamp"])
    op.create_table(
        "hf_feedback",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("ground_truth", sa.Text, nullable=False),
        sa.Column("timestamp", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("hf_feedback")
    op.drop_table("hf_predictions")
