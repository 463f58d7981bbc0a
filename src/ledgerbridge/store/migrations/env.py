"""Alembic environment: runs on the connection handed over by ``ledgerbridge.store.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from ledgerbridge.store.tables import metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "ledgerbridge migrations run through ledgerbridge.store.migrate.upgrade(engine), "
            "which hands over a connection; the alembic command line is not wired up"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        # SQLite can alter a table only by copying it; batch mode does that for later revisions.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run()
