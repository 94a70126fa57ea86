"""Governance: the append-only audit log, version documentation, fairness results.

Revision ID: 0007
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None

KEY = sa.String(250)
VERSION = sa.String(128)

_SQLITE_TRIGGERS = [
    "CREATE TRIGGER hf_audit_log_no_update BEFORE UPDATE ON hf_audit_log "
    "BEGIN SELECT RAISE(ABORT, 'hf_audit_log is append-only'); END",
    "CREATE TRIGGER hf_audit_log_no_delete BEFORE DELETE ON hf_audit_log "
    "BEGIN SELECT RAISE(ABORT, 'hf_audit_log is append-only'); END",
]
_PG_TRIGGERS = [
    "CREATE FUNCTION hf_audit_log_append_only() RETURNS trigger AS $$ BEGIN "
    "RAISE EXCEPTION 'hf_audit_log is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER hf_audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
    "ON hf_audit_log FOR EACH STATEMENT EXECUTE FUNCTION hf_audit_log_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "hf_audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("who", sa.String(250), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
    )
    op.create_index("ix_hf_audit_log_at", "hf_audit_log", ["at"])
    op.create_index("ix_hf_audit_log_target", "hf_audit_log", ["target"])
    op.create_table(
        "hf_version_docs",
        sa.Column("name", KEY, primary_key=True),
        sa.Column("version", VERSION, primary_key=True),
        sa.Column("field", sa.String(64), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("updated_by", sa.String(250), nullable=True),
    )
    op.create_table(
        "hf_fairness_results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", KEY, nullable=False),
        sa.Column("version", VERSION, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index(
        "ix_hf_fairness_results_version", "hf_fairness_results", ["name", "version", "id"]
    )
    dialect = op.get_bind().dialect.name
    for ddl in _PG_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(ddl)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS hf_audit_log_append_only ON hf_audit_log")
        op.execute("DROP FUNCTION IF EXISTS hf_audit_log_append_only()")
    op.drop_table("hf_fairness_results")
    op.drop_table("hf_version_docs")
    op.drop_table("hf_audit_log")
