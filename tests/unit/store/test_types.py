"""Column types and the JSON serializer, checked against both dialects' bind processing."""

from __future__ import annotations

import enum
import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from ledgerbridge.store.types import UTCDateTime, json_dumps

SQLITE = sqlite.dialect()
POSTGRES = postgresql.dialect()


def test_binds_in_utc() -> None:
    t = UTCDateTime()
    local = datetime(2026, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert t.process_bind_param(local, POSTGRES) == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    # SQLite keeps no offset: the stored value is the UTC wall time.
    assert t.process_bind_param(local, SQLITE) == datetime(2026, 6, 1, 12, 0)  # noqa: DTZ001
    assert t.process_bind_param(None, SQLITE) is None


def test_refuses_naive_datetimes() -> None:
    naive = datetime(2026, 6, 1, 12, 0)  # noqa: DTZ001 - the point of the test
    for dialect in (SQLITE, POSTGRES):
        with pytest.raises(ValueError, match="naive datetime"):
            UTCDateTime().process_bind_param(naive, dialect)


def test_results_are_aware_utc() -> None:
    t = UTCDateTime()
    stored = datetime(2026, 6, 1, 12, 0)  # noqa: DTZ001 - what SQLite hands back
    got = t.process_result_value(stored, SQLITE)
    assert got == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert got is not None
    assert got.tzinfo is UTC
    from_pg = datetime(2026, 6, 1, 7, 0, tzinfo=timezone(timedelta(hours=-5)))
    got_pg = t.process_result_value(from_pg, POSTGRES)
    assert got_pg is not None
    assert got_pg.tzinfo is UTC
    assert got_pg.hour == 12
    assert t.process_result_value(None, POSTGRES) is None


class Colour(enum.Enum):
    RED = "red"


def test_json_dumps_makes_values_json_safe() -> None:
    value = {
        "amount": Decimal("1.10"),
        "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "day": date(2026, 1, 2),
        "id": UUID("12345678-1234-5678-1234-567812345678"),
        "colour": Colour.RED,
        "tags": {"b", "a"},
        "text": "é",
    }
    assert json.loads(json_dumps(value)) == {
        "amount": "1.10",
        "at": "2026-01-02T03:04:05+00:00",
        "day": "2026-01-02",
        "id": "12345678-1234-5678-1234-567812345678",
        "colour": "red",
        "tags": ["a", "b"],
        "text": "é",
    }
    with pytest.raises(TypeError, match="object values cannot be stored as JSON"):
        json_dumps({"x": object()})
    with pytest.raises(ValueError, match="Out of range float"):
        json_dumps({"x": float("nan")})
