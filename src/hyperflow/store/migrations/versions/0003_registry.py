"""Model registry: models, versions, aliases with history, behavioural-suite results.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.String(32)
KEY = sa.String(250)


def upgrade() -> None:
    op.create_table(
        "hf_models",
        sa.Column("name", KEY, primary_key=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "hf_model_versions",
        sa.Column(
            "name", KEY, sa.ForeignKey("hf_models.name", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("version", sa.String(128), primary_key=True),
        sa.Column("sort_key", sa.String(400), nullable=False),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("predict_ref", sa.String(500), nullable=False),
        sa.Column("code_version", sa.String(128), nullable=True),
        sa.Column("artifacts", sa.Text, nullable=False),
        sa.Column("lineage", sa.Text, nullable=False),
        sa.Column("metrics", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(250), nullable=True),
    )
    op.create_index("ix_hf_model_versions_sort_key", "hf_model_versions", ["sort_key"])
    op.create_index("ix_hf_model_versions_run_id", "hf_model_versions", ["run_id"])
    op.create_table(
        "hf_aliases",
        sa.Column(
            "name", KEY, sa.ForeignKey("hf_models.name", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("alias", KEY, primary_key=True),
        sa.Column("version", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "hf_alias_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", KEY, nullable=False),
        sa.Column("alias", KEY, nullable=False),
        sa.Column("from_version", sa.String(128), nullable=True),
        sa.Column("to_version", sa.String(128), nullable=True),
        sa.Column("who", sa.String(250), nullable=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("rollback", sa.Boolean, nullable=False),
    )
    op.create_index("ix_hf_alias_history_name_alias", "hf_alias_history", ["name", "alias", "id"])
    op.create_table(
        "hf_suite_results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", KEY, nullable=False),
        sa.Column("version", sa.String(128), nullable=False),
        sa.Column("suite_ref", sa.String(500), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("pass_rate", sa.Float, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_hf_suite_results_version", "hf_suite_results", ["name", "version", "id"])


def downgrade() -> None:
    for table in (
        "hf_suite_results",
        "hf_alias_history",
        "hf_aliases",
        "hf_model_versions",
        "hf_models",
    ):
        op.drop_table(table)
