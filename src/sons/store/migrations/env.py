"""Alembic environment, configured in code by `sons.store.database.migrate`.

`migrate` hands over its connection (already in a transaction that holds the migration lock).
Run from the command line (developers writing a migration, see docs/stockage.md), the database
is the one `SONS_DATABASE_URL` names, as for every `sons` command.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from sons.store.database import create_engine, database_url, writer
from sons.store.schema import metadata

config = context.config
target_metadata = metadata()


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things: later migrations copy-and-move tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or None)
    try:
        with writer(engine).begin() as own_connection:
            _configure(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
