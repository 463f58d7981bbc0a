"""Dates in every shape the vendor APIs write them, parsed into aware datetimes.

- Microsoft JSON dates (Xero): ``/Date(1551399321043)/`` and ``/Date(1551399321043+0000)/`` —
  milliseconds since the epoch in UTC; the optional offset only says which zone to show.
- ISO 8601 with ``Z``, with a colon offset (``+05:30``) or without one (``-0800``, Zoho Books).
- ISO 8601 without a zone, which the APIs mean as UTC (Xero's ``UpdatedDateUTCString``).
- Plain dates (``2024-03-01``), read as midnight UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

_MS_DATE = re.compile(r"^/Date\((-?\d+)(?:([+-])(\d{2})(\d{2}))?\)/$")
# An offset written without a colon at the end of an ISO datetime: ...T02:31:51-0800
_BARE_OFFSET = re.compile(r"([+-])(\d{2})(\d{2})$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def is_ms_date(text: str) -> bool:
    return _MS_DATE.match(text.strip()) is not None


def parse_datetime(text: str) -> datetime:
    """An aware datetime from any of the formats above; ``ValueError`` when none fits."""
    raw = text.strip()
    ms = _MS_DATE.match(raw)
    if ms is not None:
        moment = _EPOCH + timedelta(milliseconds=int(ms.group(1)))
        if ms.group(2) is None:
            return moment
        sign = 1 if ms.group(2) == "+" else -1
        offset = timedelta(hours=int(ms.group(3)), minutes=int(ms.group(4))) * sign
        return moment.astimezone(timezone(offset))
    if not raw:
        raise ValueError("empty date")
    iso = raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
    if "T" in iso or " " in iso:
        iso = _BARE_OFFSET.sub(r"\1\2:\3", iso)
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError as exc:
        raise ValueError(f"not a date or datetime: {text!r}") from exc
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def parse_date(text: str) -> date:
    """The calendar date a value names (a document date, a due date)."""
    raw = text.strip()
    ms = _MS_DATE.match(raw)
    if ms is not None:
        # Date-only values are midnight UTC, so the UTC calendar day is the one meant.
        return (_EPOCH + timedelta(milliseconds=int(ms.group(1)))).date()
    if len(raw) == 10:
        return date.fromisoformat(raw)
    return parse_datetime(raw).date()


def iso_utc(moment: datetime) -> str:
    """``2024-03-01T09:30:00Z``: a moment for query headers and parameters."""
    if moment.utcoffset() is None:
        raise ValueError("a naive datetime has no defined moment")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ms_date(moment: datetime) -> str:
    """``/Date(1551399321043+0000)/`` for an aware datetime."""
    if moment.utcoffset() is None:
        raise ValueError("a naive datetime has no defined moment")
    millis = (moment - _EPOCH) // timedelta(milliseconds=1)
    return f"/Date({millis}+0000)/"
