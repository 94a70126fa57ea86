"""Service state: documents and their items (chunks, vectors) that service endpoints keep.

``hf_state_docs`` holds one JSON document (and optional bytes) per
``(service, collection, key)``; ``hf_state_items`` the ordered items of a document
(JSON plus an optional vector as bytes). A document and its items are written and
deleted in one transaction.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

KEY = sa.String(250)
COLLECTION = sa.String(128)


def upgrade() -> None:
    op.create_table(
        "hf_state_docs",
        sa.Column("service", KEY, primary_key=True),
        sa.Column("collection", COLLECTION, primary_key=True),
        sa.Column("key", KEY, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=True),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "hf_state_items",
        sa.Column("service", KEY, primary_key=True),
        sa.Column("collection", COLLECTION, primary_key=True),
        sa.Column("key", KEY, primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("hf_state_items")
    op.drop_table("hf_state_docs")
