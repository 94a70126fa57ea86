"""Registry search: a model version's metrics and tags, one row per key (filtered in SQL).

Revision ID: 0005
Revises: 0004
"""

import json
import math
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

KEY = sa.String(250)
VERSION = sa.String(128)


def _fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["name", "version"],
        ["hf_model_versions.name", "hf_model_versions.version"],
        ondelete="CASCADE",
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def upgrade() -> None:
    metrics = op.create_table(
        "hf_version_metrics",
        sa.Column("name", KEY, primary_key=True),
        sa.Column("version", VERSION, primary_key=True),
        sa.Column("key", KEY, primary_key=True),
        sa.Column("value", sa.Float, nullable=True),
        _fk(),
    )
    op.create_index("ix_hf_version_metrics_key_value", "hf_version_metrics", ["key", "value"])
    tags = op.create_table(
        "hf_version_tags",
        sa.Column("name", KEY, primary_key=True),
        sa.Column("version", VERSION, primary_key=True),
        sa.Column("key", KEY, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        _fk(),
    )
    op.create_index("ix_hf_version_tags_key", "hf_version_tags", ["key"])
    # existing versions: copy their JSON metrics and tags into the new tables
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT name, version, metrics, tags FROM hf_model_versions"))
    metric_rows: list[dict[str, Any]] = []
    tag_rows: list[dict[str, Any]] = []
    for name, version, metrics_json, tags_json in rows:
        for key, value in json.loads(metrics_json or "{}").items():
            metric_rows.append({"name": name, "version": version, "key": key})
            metric_rows[-1]["value"] = _number(value)
        for key, value in json.loads(tags_json or "{}").items():
            tag_rows.append({"name": name, "version": version, "key": key, "value": str(value)})
    if metric_rows:
        op.bulk_insert(metrics, metric_rows)
    if tag_rows:
        op.bulk_insert(tags, tag_rows)


def downgrade() -> None:
    op.drop_table("hf_version_tags")
    op.drop_table("hf_version_metrics")
