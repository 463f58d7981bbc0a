"""Zoho Books value formats: datetimes without a colon in the offset, dates, money."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+\- ]\d{2}:?\d{2})?$")
_CENT = Decimal("0.01")


def parse_offset(text: str) -> timezone:
    """``+0530`` or ``-08:00`` as a fixed zone."""
    match = _OFFSET.match(text.strip())
    if match is None:
        raise ValueError(f"bad UTC offset {text!r}; use +HHMM or -HHMM")
    sign = 1 if match.group(1) == "+" else -1
    minutes = int(match.group(2)) * 60 + int(match.group(3))
    return timezone(sign * timedelta(minutes=minutes))


def format_offset(zone: timezone) -> str:
    delta = zone.utcoffset(None)
    total = int(delta.total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return f"{sign}{total // 60:02d}{total % 60:02d}"


def format_datetime(moment: datetime, zone: timezone) -> str:
    """``2013-11-18T02:31:51-0800``: Zoho Books' own datetime shape, in the organization's zone."""
    local = moment.astimezone(zone)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + format_offset(zone)


def parse_datetime(text: str) -> datetime:
    """Read a ``last_modified_time`` filter value.

    Accepts the documented no-colon offset, a colon offset and ``Z``. A ``+`` sent unencoded in a
    query string arrives as a space, which is read back as ``+`` (the real API is as lenient).
    """
    match = _DATETIME.match(text.strip())
    if match is None:
        raise ValueError(text)
    base = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")  # noqa: DTZ007 - zone set below
    raw_zone = match.group(2)
    if raw_zone is None or raw_zone == "Z":
        return base.replace(tzinfo=UTC)
    if raw_zone.startswith(" "):
        raw_zone = "+" + raw_zone[1:]
    return base.replace(tzinfo=parse_offset(raw_zone))


def parse_date(text: str) -> date:
    return date.fromisoformat(text.strip())


def to_money(value: object, *, field: str) -> Decimal:
    """A number from a request body, rounded to cents; ``ValueError`` names the field."""
    if isinstance(value, bool):
        raise ValueError(field)
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(field) from exc
    if not amount.is_finite():
        raise ValueError(field)
    return amount


def cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def money_out(value: Decimal) -> float:
    """Zoho Books answers money as JSON numbers with two decimals."""
    return float(cents(value))
