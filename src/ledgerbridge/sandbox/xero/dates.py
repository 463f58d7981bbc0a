"""Xero's date formats: ``/Date(1551399321043+0000)/``, ISO 8601 and HTTP dates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def ms_date(moment: datetime) -> str:
    """``/Date(ms+0000)/`` for an aware datetime (milliseconds since the epoch, UTC)."""
    millis = int((moment - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(milliseconds=1))
    return f"/Date({millis}+0000)/"


def ms_day(day: date) -> str:
    """A calendar date as Xero writes it: midnight UTC in ``/Date(...)/`` form."""
    return ms_date(datetime(day.year, day.month, day.day, tzinfo=UTC))


def parse_ms_date(text: str) -> datetime | None:
    match = _MS_DATE.match(text.strip())
    if match is None:
        return None
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match.group(1)))


def parse_day(text: str) -> date | None:
    """A document date from ``2024-03-01``, ``2024-03-01T00:00:00`` or ``/Date(...)/``."""
    text = text.strip()
    from_ms = parse_ms_date(text)
    if from_ms is not None:
        return from_ms.date()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def parse_if_modified_since(text: str) -> datetime | None:
    """The header as ISO 8601 (no zone means UTC) or an HTTP date, cut to the second."""
    text = text.strip()
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            moment = parse_ms_date(text)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def webhook_date(moment: datetime) -> str:
    """``eventDateUtc`` as Xero sends it: ISO 8601 with milliseconds, no zone suffix."""
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.")
    return f"{stamp}{moment.microsecond // 1000:03d}"


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
