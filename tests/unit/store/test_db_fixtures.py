"""The database fixtures fail loudly, never skip, when PostgreSQL is unreachable."""

from __future__ import annotations

import socket

import pytest

from tests.fixtures.db import PG_URL_ENV, create_pg_schema


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_postgres_fails_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/test?connect_timeout=2"
    monkeypatch.setenv(PG_URL_ENV, url)
    with pytest.raises(pytest.fail.Exception, match=f"(?s)PostgreSQL is unreachable.*{PG_URL_ENV}"):
        create_pg_schema()
