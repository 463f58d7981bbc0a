"""Records as the engine sees them, whatever system they come from."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Field values are JSON-like: str, int, float, Decimal, bool, None, dates as ISO strings,
# nested dicts (lookups such as {"id": ...}) and lists of dicts (line items, contact persons).
FieldValue = Any
Fields = Mapping[str, FieldValue]


class Side(enum.StrEnum):
    """The two sides of every integration."""

    CRM = "crm"
    BOOKS = "books"

    @property
    def other(self) -> Side:
        return Side.BOOKS if self is Side.CRM else Side.CRM


@dataclass(frozen=True, slots=True)
class RecordRef:
    """Points at one record of one module on one side."""

    side: Side
    module: str
    id: str

    def __str__(self) -> str:
        return f"{self.side.value}:{self.module}:{self.id}"


@dataclass(frozen=True, slots=True)
class Record:
    """One record read from a system.

    ``modified_at`` is the system's own modification time, always timezone-aware.
    ``deleted`` marks a tombstone from a change feed (the fields may then be empty).
    """

    id: str
    module: str
    fields: Fields
    modified_at: datetime
    deleted: bool = False

    def get(self, name: str, default: FieldValue = None) -> FieldValue:
        return self.fields.get(name, default)

    @property
    def data(self) -> dict[str, FieldValue]:
        """The fields with the record's ``id`` among them, as field maps and keys see it."""
        return {**self.fields, "id": self.id}


@dataclass(frozen=True, slots=True)
class Draft:
    """A record to create. ``ref`` is the caller's handle to match results to inputs."""

    ref: str
    fields: Fields
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Patch:
    """A change to an existing record: only the given fields are written."""

    id: str
    fields: Fields
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class WriteError:
    """Why the remote system refused one record, in its own words plus our code."""

    code: str  # "duplicate", "mandatory_missing", "invalid", "not_found", "conflict", "other"
    message: str
    field: str | None = None
    duplicate_id: str | None = None


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The outcome for one input of a batch write, in input order.

    On success ``id`` is the server id and ``record`` is the record as the server stored it when
    the API returns it (``None`` when it only returns ids).
    """

    ref: str
    ok: bool
    id: str | None = None
    record: Record | None = None
    error: WriteError | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a change feed."""

    records: list[Record]
    # Opaque continuation handed back by the connector; ``None`` on the last page.
    next_token: str | None = None


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """Metadata of one field, for the mapping editor and for validation."""

    name: str
    label: str
    # "text", "email", "number", "decimal", "boolean", "date", "datetime", "picklist", "lookup"...
    type: str
    required: bool = False
    read_only: bool = False
    custom: bool = False
    picklist: tuple[str, ...] = ()
    lookup_module: str | None = None


@dataclass(frozen=True, slots=True)
class ModuleInfo:
    name: str
    label: str
    fields: tuple[FieldInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class OrgInfo:
    """What a connection's organisation looks like."""

    name: str
    base_currency: str
    multi_currency: bool = False
    modules: tuple[ModuleInfo, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
