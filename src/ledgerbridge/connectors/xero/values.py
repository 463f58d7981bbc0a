"""Xero's JSON shapes to the engine's and back.

Read: ``/Date(ms+0000)/`` values become ISO 8601 — a datetime for names ending in ``UTC``
(``UpdatedDateUTC``), a calendar date otherwise (``Date``, ``DueDate``) — and the ``...String``
twins Xero adds beside such dates are left out, as are the write-answer markers
(``StatusAttributeString``, ``ValidationErrors``, ``Warnings``).
Write: dates, datetimes and decimals become the JSON Xero accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ledgerbridge.connectors.dates import is_ms_date, parse_date, parse_datetime
from ledgerbridge.connectors.xero.modules import ModuleSpec
from ledgerbridge.domain.records import Record

MARKERS = frozenset({"StatusAttributeString", "ValidationErrors", "Warnings"})


def _is_datetime_name(name: str | None) -> bool:
    return bool(name) and str(name).upper().endswith("UTC")


def from_xero(value: Any, name: str | None = None) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            if key in MARKERS:
                continue
            twin = key[:-6] if key.endswith("String") else None
            if twin and isinstance(value.get(twin), str) and is_ms_date(value[twin]):
                continue
            out[key] = from_xero(inner, key)
        return out
    if isinstance(value, list):
        return [from_xero(item, name) for item in value]
    if isinstance(value, str) and is_ms_date(value):
        if _is_datetime_name(name):
            return parse_datetime(value).isoformat(timespec="milliseconds")
        return parse_date(value).isoformat()
    return value


def to_xero(value: Any, *, clearing: bool = False) -> Any:
    """A value as Xero takes it. Xero refuses ``null``: an empty field is left out of a create,
    and sent as ``""`` (which clears it) when ``clearing`` an existing record."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if v is None:
                if clearing:
                    out[str(k)] = ""
                continue
            out[str(k)] = to_xero(v, clearing=clearing)
        return out
    if isinstance(value, list | tuple):
        return [to_xero(v, clearing=clearing) for v in value if v is not None]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def modified_at(raw: Mapping[str, Any], fallback: datetime) -> datetime:
    stamp = raw.get("UpdatedDateUTC") or raw.get("CreatedDateUTC")
    if isinstance(stamp, str) and stamp:
        try:
            return parse_datetime(stamp)
        except ValueError:
            return fallback
    return fallback


def to_record(spec: ModuleSpec, raw: Mapping[str, Any], fallback: datetime) -> Record:
    """A record as the engine sees it; ``fallback`` times records Xero does not time."""
    return Record(
        id=str(raw[spec.id_field]),
        module=spec.name,
        fields=from_xero(dict(raw)),
        modified_at=modified_at(raw, fallback),
    )
