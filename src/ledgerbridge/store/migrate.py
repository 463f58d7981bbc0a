"""Schema migrations, run from code (no alembic.ini): ``upgrade(engine)`` at startup."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from ledgerbridge.store.db import make_engine

SCRIPT_LOCATION = "ledgerbridge.store:migrations"

# Any constant works as long as every ledgerbridge process uses the same one.
_PG_MIGRATION_LOCK = 0x1EDB_0001


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing into the package; ``connection`` is what migrations run on."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("the packaged migrations have no head revision")
    return str(head)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, ``None`` when it was never migrated."""
    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
    return None if revision is None else str(revision)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; a no-op when it is there already.

    Several processes may start at once (a server and workers), so the whole upgrade runs in
    one transaction holding a lock: PostgreSQL takes an advisory lock, SQLite takes the write
    lock up front. The loser waits, then finds the schema current and does nothing.
    """
    if engine.dialect.name == "sqlite" and not _is_memory_sqlite(engine):
        locked = _sqlite_immediate_engine(engine)
        try:
            _upgrade_in_transaction(locked, revision)
        finally:
            locked.dispose()
        return
    _upgrade_in_transaction(engine, revision)


def _upgrade_in_transaction(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        command.upgrade(alembic_config(conn), revision)


def _is_memory_sqlite(engine: Engine) -> bool:
    return engine.url.database in (None, "", ":memory:")


def _sqlite_immediate_engine(engine: Engine) -> Engine:
    """An engine on the same SQLite file whose transactions begin with ``BEGIN IMMEDIATE``.

    The Python driver normally begins transactions lazily and lets DDL run outside them; here
    the driver's own handling is switched off so the whole migration is one transaction that
    holds the write lock from its start.
    """
    locked = make_engine(engine.url.render_as_string(hide_password=False))

    @event.listens_for(locked, "connect")
    def _driver_autocommit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(locked, "begin")
    def _begin_immediate(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return locked
