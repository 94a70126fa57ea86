"""Tables of service state (revision 0010), read and written by ``SQLStateStore``.

* ``hf_state_docs``: one JSON document (plus optional bytes) per
  ``(service, collection, key)``, with the number of its items;
* ``hf_state_items``: the ordered items of a document (JSON, optional vector bytes).
"""

from __future__ import annotations

import sqlalchemy as sa

from hyperflow.store import _schema as S

__all__ = ["docs", "items"]

COLLECTION = sa.String(128)

docs = sa.Table(
    "hf_state_docs",
    S.metadata,
    sa.Column("service", S.KEY, primary_key=True),
    sa.Column("collection", COLLECTION, primary_key=True),
    sa.Column("key", S.KEY, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),  # JSON
    sa.Column("data", sa.LargeBinary, nullable=True),
    sa.Column("items", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)
items = sa.Table(
    "hf_state_items",
    S.metadata,
    sa.Column("service", S.KEY, primary_key=True),
    sa.Column("collection", COLLECTION, primary_key=True),
    sa.Column("key", S.KEY, primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),  # JSON
    sa.Column("vector", sa.LargeBinary, nullable=True),
)
