"""Canonical values: one comparable, JSON-safe form for whatever an API returned.

Zoho answers ``12.5`` where Xero answers ``12.50``, an empty field is ``null`` in one API and
missing or ``""`` in another. Comparisons, hashes and base snapshots all go through
:func:`canon` so these differences never look like changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any


def canon(value: Any) -> Any:
    """The canonical, JSON-safe form of a field value."""
    kind = type(value)
    if kind is str:
        return value or None
    if kind is int:
        return value
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        out = {str(k): canon(v) for k, v in value.items()}
        out = {k: v for k, v in out.items() if v is not None}
        return out or None
    if isinstance(value, list | tuple):
        items = [canon(v) for v in value]
        return items or None
    return str(value)


def _number(value: int | float | Decimal) -> str | int | float:
    """Numbers become integers when whole, else the nearest float of their normalised decimal.

    Floats stay JSON numbers (APIs take them as such) and money with a few decimals survives the
    round trip exactly as text ("12.35" -> 12.35 -> "12.35").
    """
    try:
        d = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return str(value)
    if not d.is_finite():
        return str(d)
    if d == d.to_integral_value():
        return int(d)
    f = float(d)
    if f.is_integer():
        # A fraction below a float's precision (1e16 and up) rounds away; return the whole
        # number a float would canonicalise to, so a second canon gives the same value.
        return int(Decimal(str(f)))
    return f


# One encoder for every call: json.dumps with options builds a new encoder each time.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def stable_json(value: Any) -> str:
    return _ENCODER.encode(value)


def value_hash(values: Mapping[str, Any]) -> str:
    """A short, stable hash of already-canonical values (the echo check compares these)."""
    return hashlib.blake2b(stable_json(values).encode(), digest_size=16).hexdigest()


def is_empty(value: Any) -> bool:
    return canon(value) is None
