"""The metadata schema at the head revision (migrations live in ``migrations/``).

Times are epoch seconds (floats) so that SQLite and PostgreSQL behave alike.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "VERSION_TABLE",
    "alias_history",
    "aliases",
    "artifacts",
    "audit_log",
    "fairness_results",
    "feedback",
    "latest_metrics",
    "metadata",
    "metrics",
    "model_versions",
    "models",
    "nodes",
    "params",
    "predictions",
    "runs",
    "suite_results",
    "tags",
    "version_docs",
    "version_metrics",
    "version_tags",
]

VERSION_TABLE = "hyperflow_alembic_version"
ID = sa.String(32)
KEY = sa.String(250)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

metadata = sa.MetaData()

runs = sa.Table(
    "hf_runs",
    metadata,
    sa.Column("run_id", ID, primary_key=True),
    sa.Column("name", sa.String(250), nullable=True),
    sa.Column("pipeline", sa.String(250), nullable=True, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("start_time", sa.Float, nullable=False, index=True),
    sa.Column("end_time", sa.Float, nullable=True),
    sa.Column("parent_id", ID, nullable=True, index=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("config", sa.Text, nullable=True),
    sa.Column("failed_node", sa.String(250), nullable=True),
    sa.Column("traceback", sa.Text, nullable=True),
    sa.Column("pid", sa.Integer, nullable=True),
    sa.Column("host", sa.String(250), nullable=True),
    sa.Column("heartbeat", sa.Float, nullable=True),
    sa.Column("lineage", sa.Text, nullable=True),
)

params = sa.Table(
    "hf_params",
    metadata,
    sa.Column("run_id", ID, sa.ForeignKey("hf_runs.run_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", KEY, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),  # JSON, round-trips the type
    sa.Column("text", sa.Text, nullable=False),  # str form, for string comparisons
    sa.Column("num", sa.Float, nullable=True),  # numeric form, for numeric comparisons
)

metrics = sa.Table(
    "hf_metrics",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("run_id", ID, sa.ForeignKey("hf_runs.run_id", ondelete="CASCADE"), nullable=False),
    sa.Column("key", KEY, nullable=False),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("timestamp", sa.Float, nullable=False),
    sa.Index("ix_hf_metrics_run_key", "run_id", "key", "step"),
)

latest_metrics = sa.Table(
    "hf_latest_metrics",
    metadata,
    sa.Column("run_id", ID, sa.ForeignKey("hf_runs.run_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", KEY, primary_key=True),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Index("ix_hf_latest_key_value", "key", "value"),
)

tags = sa.Table(
    "hf_tags",
    metadata,
    sa.Column("run_id", ID, sa.ForeignKey("hf_runs.run_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", KEY, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

nodes = sa.Table(
    "hf_nodes",
    metadata,
    sa.Column("run_id", ID, sa.ForeignKey("hf_runs.run_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", KEY, primary_key=True),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("cache_hit", sa.Boolean, nullable=False),
    sa.Column("code_version", sa.String(128), nullable=True),
)

artifacts = sa.Table(
    "hf_artifacts",
    metadata,
    sa.Column("run_id", ID, sa.ForeignKey("hf_runs.run_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("name", KEY, primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False, index=True),
    sa.Column("format", sa.String(32), nullable=False),
    sa.Column("size", BIGINT, nullable=False),
    sa.Column("type", sa.String(250), nullable=False),
)

# -- model registry (revision 0003) ---------------------------------------------------------
models = sa.Table(
    "hf_models",
    metadata,
    sa.Column("name", KEY, primary_key=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

model_versions = sa.Table(
    "hf_model_versions",
    metadata,
    sa.Column("name", KEY, sa.ForeignKey("hf_models.name", ondelete="CASCADE"), primary_key=True),
    sa.Column("version", sa.String(128), primary_key=True),
    sa.Column("sort_key", sa.String(400), nullable=False, index=True),
    sa.Column("run_id", ID, nullable=True, index=True),
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

aliases = sa.Table(
    "hf_aliases",
    metadata,
    sa.Column("name", KEY, sa.ForeignKey("hf_models.name", ondelete="CASCADE"), primary_key=True),
    sa.Column("alias", KEY, primary_key=True),
    sa.Column("version", sa.String(128), nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

# -- registry search (revision 0005): a version's metrics and tags, one row per key ----------
def _version_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["name", "version"],
        ["hf_model_versions.name", "hf_model_versions.version"],
        ondelete="CASCADE",
    )


version_metrics = sa.Table(
    "hf_version_metrics",
    metadata,
    sa.Column("name", KEY, primary_key=True),
    sa.Column("version", sa.String(128), primary_key=True),
    sa.Column("key", KEY, primary_key=True),
    sa.Column("value", sa.Float, nullable=True),  # NULL: not a finite number
    _version_fk(),
    sa.Index("ix_hf_version_metrics_key_value", "key", "value"),
)

version_tags = sa.Table(
    "hf_version_tags",
    metadata,
    sa.Column("name", KEY, primary_key=True),
    sa.Column("version", sa.String(128), primary_key=True),
    sa.Column("key", KEY, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    _version_fk(),
    sa.Index("ix_hf_version_tags_key", "key"),
)

alias_history = sa.Table(
    "hf_alias_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", KEY, nullable=False),
    sa.Column("alias", KEY, nullable=False),
    sa.Column("from_version", sa.String(128), nullable=True),
    sa.Column("to_version", sa.String(128), nullable=True),
    sa.Column("who", sa.String(250), nullable=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("rollback", sa.Boolean, nullable=False),
    sa.Index("ix_hf_alias_history_name_alias", "name", "alias", "id"),
)

suite_results = sa.Table(
    "hf_suite_results",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", KEY, nullable=False),
    sa.Column("version", sa.String(128), nullable=False),
    sa.Column("suite_ref", sa.String(500), nullable=False),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("pass_rate", sa.Float, nullable=False),
    sa.Column("result", sa.Text, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Index("ix_hf_suite_results_version", "name", "version", "id"),
)

# -- prediction log (written by serving, read by hf.predictions.search and monitoring) --------
predictions = sa.Table(
    "hf_predictions",
    metadata,
    sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(64), nullable=False, index=True),
    sa.Column("model", KEY, nullable=False),
    sa.Column("version", sa.String(128), nullable=True),
    sa.Column("timestamp", sa.Float, nullable=False),
    sa.Column("latency_ms", sa.Float, nullable=False),
    sa.Column("inputs", sa.Text, nullable=False),  # JSON
    sa.Column("output", sa.Text, nullable=False),  # JSON
    sa.Column("arm", sa.String(32), nullable=True),  # None | primary | canary | shadow
    sa.Column("status", sa.Integer, nullable=True),  # HTTP status; None = 200
    sa.Index("ix_hf_predictions_model_time", "model", "timestamp"),
)

feedback = sa.Table(
    "hf_feedback",
    metadata,
    sa.Column("request_id", sa.String(64), primary_key=True),
    sa.Column("ground_truth", sa.Text, nullable=False),  # JSON
    sa.Column("timestamp", sa.Float, nullable=False),
)

# -- governance (revision 0007): append-only audit log, version documentation, fairness -------
audit_log = sa.Table(
    "hf_audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("who", sa.String(250), nullable=False),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("target", sa.String(500), nullable=False, index=True),
    sa.Column("details", sa.Text, nullable=False),  # JSON object
    sa.Column("reason", sa.Text, nullable=True),
)

version_docs = sa.Table(
    "hf_version_docs",
    metadata,
    sa.Column("name", KEY, primary_key=True),
    sa.Column("version", sa.String(128), primary_key=True),
    sa.Column("field", sa.String(64), primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("updated_by", sa.String(250), nullable=True),
)

fairness_results = sa.Table(
    "hf_fairness_results",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", KEY, nullable=False),
    sa.Column("version", sa.String(128), nullable=False),
    sa.Column("result", sa.Text, nullable=False),  # hf.testing.FairnessResult JSON
    sa.Column("at", sa.Float, nullable=False),
    sa.Index("ix_hf_fairness_results_version", "name", "version", "id"),
)
