"""Builders for domain tests: records at fixed times, flows, bindings as the engine keeps them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ledgerbridge.domain.bindings import Binding
from ledgerbridge.domain.config import FieldRule, FlowConfig
from ledgerbridge.domain.lookups import LookupTable
from ledgerbridge.domain.mapping import FlowMap
from ledgerbridge.domain.planner import record_hash
from ledgerbridge.domain.records import Record, Side

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def crm(id: str, minutes: int = 0, module: str = "Accounts", **fields: Any) -> Record:
    return Record(id=id, module=module, fields=fields, modified_at=at(minutes))


def books(id: str, minutes: int = 0, module: str = "Contacts", **fields: Any) -> Record:
    return Record(id=id, module=module, fields=fields, modified_at=at(minutes))


def deleted(record: Record) -> Record:
    return Record(record.id, record.module, {}, record.modified_at, deleted=True)


def edited(record: Record, minutes: int, **fields: Any) -> Record:
    return Record(record.id, record.module, {**record.fields, **fields}, at(minutes))


def simple_flow(*rules: FieldRule, name: str = "accounts", **extra: Any) -> FlowConfig:
    return FlowConfig(
        name=name,
        crm_module="Accounts",
        books_module="Contacts",
        fields=rules or (FieldRule(crm="Account_Name", books="Name"),),
        **extra,
    )


def bind(
    fmap: FlowMap,
    crm_record: Record,
    books_record: Record,
    lookups: LookupTable | None = None,
    base_from: Side = Side.CRM,
) -> Binding:
    """The binding the engine keeps once the pair is in line: each field as its sender has it."""
    table = lookups or LookupTable()
    base: dict[str, Any] = {}
    for side in (base_from.other, base_from):
        source = crm_record if side is Side.CRM else books_record
        values, errors = fmap.read(side, source.data, table)
        assert not errors, errors
        base.update(values)
    return Binding(
        crm_id=crm_record.id,
        books_id=books_record.id,
        base=base,
        crm_hash=record_hash(fmap, Side.CRM, crm_record),
        books_hash=record_hash(fmap, Side.BOOKS, books_record),
        crm_modified_at=crm_record.modified_at,
        books_modified_at=books_record.modified_at,
        id=1,
    )
