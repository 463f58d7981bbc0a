"""Engine set-up: SQLite pragmas and the statement counter."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from ledgerbridge.store.db import DB_FILE_NAME, StatementCounter, make_engine, sqlite_url


def test_sqlite_url_creates_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "nested" / "data"
    url = sqlite_url(data_dir)
    assert data_dir.is_dir()
    assert url == f"sqlite:///{(data_dir / DB_FILE_NAME).resolve()}"


def test_sqlite_pragmas_on_every_connection(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path))
    try:
        for _ in range(2):
            with engine.connect() as conn:
                pragma = conn.exec_driver_sql
                assert pragma("PRAGMA journal_mode").scalar() == "wal"
                assert pragma("PRAGMA foreign_keys").scalar() == 1
                assert pragma("PRAGMA busy_timeout").scalar() == 30000
                assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
            engine.dispose()
    finally:
        engine.dispose()


def test_statement_counter_counts_executemany_once(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path))
    table = sa.Table("t", sa.MetaData(), sa.Column("n", sa.Integer()))
    try:
        table.create(engine)
        with StatementCounter(engine) as counter, engine.begin() as conn:
            conn.execute(table.insert(), [{"n": n} for n in range(100)])
            conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        assert counter.count == 2
        with engine.connect() as conn:
            conn.execute(sa.select(table.c.n)).all()
        assert counter.count == 2  # no longer listening
    finally:
        engine.dispose()
