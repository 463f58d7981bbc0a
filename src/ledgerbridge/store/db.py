"""Engines for SQLite (the embedded default) and PostgreSQL (to scale out)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from ledgerbridge.store.types import json_dumps

DB_FILE_NAME = "ledgerbridge.db"

# WAL lets readers run while one writer commits; busy_timeout makes a second writer wait for the
# lock instead of failing at once; NORMAL is durable in WAL mode except for the last commits
# before a power cut, which a re-run converges from. The journal mode is set apart (see
# ``_use_wal``).
_SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout=30000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
# How long a new connection keeps trying to switch a fresh file to WAL while another holds it.
_WAL_SWITCH_SECONDS = 30.0


def sqlite_url(data_dir: Path) -> str:
    """The URL of the SQLite database in ``data_dir`` (created when missing)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / DB_FILE_NAME).resolve()}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite pragmas on every connection, or a pooled PostgreSQL."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(parsed, json_serializer=json_dumps)
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    return sa.create_engine(
        parsed,
        json_serializer=json_dumps,
        pool_size=5,
        max_overflow=10,
        pool_pre_ping=True,  # survive a restarted server or an idle connection cut by a proxy
        pool_recycle=1800,
    )


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
        _use_wal(cursor)
    finally:
        cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL unless it is already (the mode is stored in the file).

    Switching needs the file to itself and SQLite answers "database is locked" at once, without
    its busy timeout, when another connection holds a lock then: two processes opening a fresh
    database together (a server and a worker, one migrating) meet exactly that. The switch is
    tried again for a bounded time.
    """
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + _WAL_SWITCH_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class StatementCounter:
    """Counts SQL statements sent through ``engine`` while the block runs.

    An executemany counts as one statement, so the count reflects round trips of work rather
    than rows.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0
        self.statements: list[str] = []

    def _on_execute(self, *args: Any) -> None:
        self.count += 1
        self.statements.append(str(args[2]))

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


def insert_for(engine: Engine, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for ``table`` in ``engine``'s dialect: both take ``on_conflict_do_*``."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
