"""One statement per batch of prediction-log rows: the whole batch as one JSON parameter.

The serving process writes the log from a background thread while its event loop
answers requests. An ``executemany`` hands the GIL back and forth once per row
(SQLite's step, a driver's send), and each hand-over makes the busy event loop wait
for it: under load the writer then took milliseconds per row and cost the request
path more than a tenth of its throughput. Passing the batch as one JSON array that the
database unpacks itself (``json_each`` on SQLite, ``json_array_elements`` on
PostgreSQL) costs one ``json.dumps`` (C) and one statement, holding the GIL in one
stretch. Other databases keep SQLAlchemy's ``executemany``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

__all__ = ["COLUMNS", "insert_rows"]

COLUMNS = (
    "request_id", "model", "version", "timestamp", "latency_ms", "inputs", "output", "arm",
    "status",
)
"""The ``hf_predictions`` columns a row gives, in this order."""

_SQLITE = (
    f"INSERT INTO hf_predictions ({', '.join(COLUMNS)}) SELECT "
    + ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(COLUMNS)))
    + " FROM json_each(?)"
)
_PG_TYPES = ("text", "text", "text", "float8", "float8", "text", "text", "text", "int")
_POSTGRESQL = (
    f"INSERT INTO hf_predictions ({', '.join(COLUMNS)}) SELECT "
    + ", ".join(f"(e->>{i})::{t}" for i, t in enumerate(_PG_TYPES))
    + " FROM json_array_elements(%s::json) WITH ORDINALITY AS a(e, n) ORDER BY n"
)

_BY_DIALECT = {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}


def insert_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (tuples in ``COLUMNS`` order; JSON-able scalars) into ``table``."""
    if not rows:
        return
    statement = _BY_DIALECT.get(conn.dialect.name)
    if statement is None:
        conn.execute(table.insert(), [dict(zip(COLUMNS, r, strict=True)) for r in rows])
    else:
        conn.exec_driver_sql(statement, (json.dumps(rows, allow_nan=False),))
