"""Schema creation and upgrades through the Alembic scripts shipped in ``migrations/``.

Upgrades take a lock first (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on
PostgreSQL), so processes opening a new store at once never race. Alembic's
version table is ``hyperflow_alembic_version``, so a database shared with
Optuna (whose own table is ``alembic_version``) keeps both histories apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from hyperflow.store._schema import VERSION_TABLE

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["HEAD", "current_revision", "upgrade"]

_SCRIPTS = Path(__file__).parent / "migrations"
_PG_LOCK = 0x6879_7065_7266  # "hyperf"


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    return cfg


HEAD = "0010"  # newest revision in migrations/versions (a test checks they agree)


def current_revision(conn: sa.Connection) -> str | None:
    """The schema revision of the database behind ``conn`` (``None`` when empty)."""
    from alembic.runtime.migration import MigrationContext

    ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    return ctx.get_current_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest); cheap when already there."""
    if revision == "head":
        with engine.connect() as conn:
            if current_revision(conn) == HEAD:
                return
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
