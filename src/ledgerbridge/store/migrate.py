"""Schema migrations, run from code (no alembic.ini): ``upgrade(engine)`` at startup.

Alembic is imported only when a migration may be needed: a command line call on a current
schema checks the version with one query and never loads it.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from ledgerbridge.store.db import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPT_LOCATION = "ledgerbridge.store:migrations"
_VERSIONS = Path(__file__).parent / "migrations" / "versions"
_REVISION = re.compile(r'^(down_revision|revision)\s*(?::[^=]*)?=\s*["\']?([\w-]+|None)', re.M)

# Any constant works as long as every ledgerbridge process uses the same one.
_PG_MIGRATION_LOCK = 0x1EDB_0001


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing into the package; ``connection`` is what migrations run on."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision the code knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("the packaged migrations have no head revision")
    return str(head)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, ``None`` when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

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
        from alembic import command

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


@cache
def packaged_head() -> str:
    """The head revision read from the migration files themselves (no Alembic import)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in _VERSIONS.glob("*.py"):
        found = dict(_REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" in found:
            revisions.add(found["revision"])
        if found.get("down_revision") not in (None, "None"):
            parents.add(found["down_revision"])
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"the packaged migrations should have one head, found {sorted(heads)}")
    return heads.pop()


def is_current(engine: Engine) -> bool:
    """Whether the schema is at the packaged head, asked with one query."""
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.DBAPIError:
        return False
    return version == packaged_head()
