"""The table of bound ids the planner resolves references with."""

from __future__ import annotations

import pytest

from ledgerbridge.domain.lookups import LookupTable, MissingLookup
from ledgerbridge.domain.records import Side


def table() -> LookupTable:
    t = LookupTable()
    t.add("products", "crm-p1", "books-p1", {"Code": "SKU-1"})
    t.add("accounts", "crm-a1", "books-a1", {})
    return t


def test_partner_both_ways() -> None:
    t = table()
    assert t.partner("products", Side.CRM, "crm-p1") == "books-p1"
    assert t.partner("products", Side.BOOKS, "books-p1") == "crm-p1"


def test_flows_do_not_share_ids() -> None:
    with pytest.raises(MissingLookup) as info:
        table().partner("accounts", Side.CRM, "crm-p1")
    assert (info.value.flow, info.value.side, info.value.record_id) == (
        "accounts",
        Side.CRM,
        "crm-p1",
    )
    assert str(info.value) == "accounts:crm:crm-p1"


def test_extras_by_crm_id() -> None:
    t = table()
    assert t.extra("products", "crm-p1", "Code") == "SKU-1"
    with pytest.raises(MissingLookup):
        t.extra("products", "crm-p1", "Barcode")
    with pytest.raises(MissingLookup):
        t.extra("accounts", "crm-a1", "Code")
