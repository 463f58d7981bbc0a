"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import enum
import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A point in time stored as UTC and always read back timezone-aware in UTC.

    SQLite has no time zones, so values are normalised to UTC and stored without an offset in
    a fixed-width text form that sorts and compares correctly; PostgreSQL stores
    ``timestamptz``. Naive datetimes are refused: their meaning depends on the host.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused; attach a time zone")
        utc = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return utc.replace(tzinfo=None)
        return utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSONB on PostgreSQL (indexable, compact), JSON text on SQLite.
JSONDocument = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# 64-bit ids where tables grow without bound; SQLite needs INTEGER for its rowid alias.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(f"{type(value).__name__} values cannot be stored as JSON")


def json_dumps(value: Any) -> str:
    """The engine's JSON serializer.

    Decimals are stored as strings (no float rounding), dates and datetimes as ISO 8601 text,
    enums as their values. They come back as strings: callers that need the Python type parse
    it again. NaN and infinities are refused because PostgreSQL JSON cannot hold them.
    """
    return json.dumps(value, default=_json_default, ensure_ascii=False, allow_nan=False)
