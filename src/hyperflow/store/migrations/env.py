"""Alembic environment: runs on the connection hyperflow hands over (no ini file)."""

from alembic import context

from hyperflow.store._schema import VERSION_TABLE


def run_migrations() -> None:
    """Apply the requested revisions on ``config.attributes["connection"]``."""
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=None, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


if hasattr(context, "config"):  # only under Alembic, not when merely imported
    run_migrations()
