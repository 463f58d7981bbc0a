"""Planner helpers: labels, match values, initial links, patches applied to records."""

from __future__ import annotations

from ledgerbridge.domain.lookups import LookupTable
from ledgerbridge.domain.mapping import FlowMap
from ledgerbridge.domain.planner import (
    Update,
    apply_patch,
    label_of,
    link_pair,
    match_values,
    record_hash,
)
from ledgerbridge.domain.records import Side
from ledgerbridge.recipes.starter import ACCOUNTS

from .builders import books, crm
from .planning import FLOW, with_


def test_label_is_the_first_match_key_value() -> None:
    record = crm("c1", Account_Name="Acme", Email="  ann@acme.test ")
    assert label_of(FLOW, Side.CRM, record) == "ann@acme.test"


def test_label_falls_back_to_mapped_fields_then_the_id() -> None:
    assert label_of(FLOW, Side.BOOKS, books("b1", Name="Beta")) == "Beta"
    assert label_of(FLOW, Side.BOOKS, books("b1", Phone=42)) == "42"
    assert label_of(FLOW, Side.BOOKS, books("b1", Name={"x": 1})) == "b1"
    assert label_of(FLOW, Side.CRM, crm("c9")) == "c9"


def test_label_never_uses_an_id_match_key() -> None:
    record = crm("5001", Account_Name="Acme")
    assert label_of(ACCOUNTS, Side.CRM, record) == "Acme"


def test_match_values_are_normalised_and_name_the_other_sides_field() -> None:
    record = crm("c1", Account_Name="  Acme   LTD", Email=" Ann@Acme.test")
    assert match_values(FLOW, Side.CRM, record) == [
        (0, "EmailAddress", "ann@acme.test"),
        (1, "Name", "acme ltd"),
    ]
    assert match_values(FLOW, Side.BOOKS, books("b1", Name="Acme")) == [(1, "Account_Name", "acme")]
    assert match_values(with_(match_keys=[]), Side.CRM, record) == []


def test_match_values_of_an_id_key() -> None:
    assert match_values(ACCOUNTS, Side.CRM, crm("5001", Account_Name="Acme")) == [
        (0, "ContactNumber", "5001"),
        (1, "Name", "acme"),
    ]
    assert match_values(ACCOUNTS, Side.BOOKS, books("b1", ContactNumber=" 5001 ")) == [
        (0, "id", "5001")
    ]


def test_record_hash_changes_with_mapped_fields_only() -> None:
    fmap = FlowMap(FLOW)
    record = crm("c1", Account_Name="Acme", Phone="1")
    same = crm("c1", 99, Account_Name="Acme", Phone="1", Unmapped="x", Email="")
    other = crm("c1", Account_Name="Acme", Phone="2")
    assert record_hash(fmap, Side.CRM, record) == record_hash(fmap, Side.CRM, same)
    assert record_hash(fmap, Side.CRM, record) != record_hash(fmap, Side.CRM, other)


def test_link_pair_takes_the_base_from_the_first_side() -> None:
    fmap = FlowMap(FLOW)
    c = crm("c1", Account_Name="Acme", Phone="1", Rating="Hot")
    b = books("b1", Name="ACME", Phone="2", Tier="B", Balance=3)
    base, crm_hash, books_hash = link_pair(fmap, c, b, LookupTable(), Side.CRM)
    assert base == {"Account_Name": "Acme", "Email": None, "Phone": "1", "Rating": "Hot"}
    assert crm_hash == record_hash(fmap, Side.CRM, c)
    assert books_hash == record_hash(fmap, Side.BOOKS, b)
    base, _, _ = link_pair(fmap, c, b, LookupTable(), Side.BOOKS)
    assert base == {
        "Account_Name": "ACME",
        "Email": None,
        "Phone": "2",
        "Rating": "Warm",
        "Balance": 3,
    }


def test_link_pair_with_an_unreadable_first_side_starts_from_nothing() -> None:
    fmap = FlowMap(FLOW)
    b = books("b1", Name="Acme", Tier="Z")
    base, _, _ = link_pair(fmap, crm("c1"), b, LookupTable(), Side.BOOKS)
    assert base == {}


def test_apply_patch_merges_nested_fields_and_replaces_lists() -> None:
    fields = {
        "Name": "Acme",
        "SalesDetails": {"UnitPrice": 1, "TaxType": "NONE"},
        "Contact": {"ContactID": "b1", "Name": "Acme"},
        "LineItems": [{"Quantity": 1}, {"Quantity": 2}],
    }
    patch = {
        "SalesDetails": {"UnitPrice": 2},
        "Contact": {"ContactID": "b2"},
        "LineItems": [{"Quantity": 3}],
        "Phone": None,
    }
    assert apply_patch(fields, patch) == {
        "Name": "Acme",
        "SalesDetails": {"UnitPrice": 2, "TaxType": "NONE"},
        "Contact": {"ContactID": "b2", "Name": "Acme"},
        "LineItems": [{"Quantity": 3}],
        "Phone": None,
    }
    assert fields["SalesDetails"] == {"UnitPrice": 1, "TaxType": "NONE"}  # not mutated


def test_apply_patch_sets_a_dict_over_a_scalar() -> None:
    assert apply_patch({"Contact": None}, {"Contact": {"ContactID": "b1"}}) == {
        "Contact": {"ContactID": "b1"}
    }


def test_an_update_writes_when_a_patch_is_not_empty() -> None:
    c, b = crm("c1"), books("b1")
    assert not Update(Side.CRM, c, b, {}, {}, {}, "x").writes
    assert Update(Side.CRM, c, b, {"a": 1}, {}, {}, "x").writes
    assert Update(Side.CRM, c, b, {}, {"a": None}, {}, "x").writes
