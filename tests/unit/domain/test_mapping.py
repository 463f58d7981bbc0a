"""Compiled field maps: every transform read from and rendered for both sides."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.domain.config import (
    ComputedTransform,
    ConstantTransform,
    DefaultTransform,
    Direction,
    FieldRule,
    LookupTransform,
    ValueMapTransform,
)
from ledgerbridge.domain.lookups import LookupNeed, LookupTable, MissingLookup
from ledgerbridge.domain.mapping import FlowMap, MappingError
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.values import canon
from ledgerbridge.recipes.starter import ACCOUNTS, INVOICES, PRODUCTS

from .builders import simple_flow

NO_LOOKUPS = LookupTable()


def one_rule(rule: FieldRule, run: Direction = Direction.BOTH) -> FlowMap:
    return FlowMap(simple_flow(rule), run)


def read(
    fmap: FlowMap, side: Side, fields: dict[str, Any], lookups: LookupTable = NO_LOOKUPS
) -> dict[str, Any]:
    values, errors = fmap.read(side, fields, lookups)
    assert errors == []
    return values


def render(
    fmap: FlowMap, side: Side, values: dict[str, Any], lookups: LookupTable = NO_LOOKUPS
) -> dict[str, Any]:
    rendered = fmap.render(side, values, list(values), lookups)
    assert rendered.warnings == ()
    return rendered.fields


def lookups() -> LookupTable:
    table = LookupTable()
    table.add("accounts", "crm-a1", "books-a1", {})
    table.add("products", "crm-p1", "books-p1", {"Code": "SKU-1"})
    table.add("products", "crm-p2", "books-p2", {"Code": "SKU-2"})
    return table


# -- renames ---------------------------------------------------------------------------------


def test_rename_reads_and_renders_both_ways() -> None:
    fmap = one_rule(FieldRule(crm="Unit_Price", books="SalesDetails.UnitPrice"))
    assert read(fmap, Side.CRM, {"Unit_Price": "9.50"}) == {"Unit_Price": "9.50"}
    assert read(fmap, Side.BOOKS, {"SalesDetails": {"UnitPrice": 9.5}}) == {"Unit_Price": 9.5}
    assert render(fmap, Side.BOOKS, {"Unit_Price": 9.5}) == {"SalesDetails": {"UnitPrice": 9.5}}
    assert render(fmap, Side.CRM, {"Unit_Price": 9.5}) == {"Unit_Price": 9.5}


def test_reading_gives_canonical_values() -> None:
    fmap = one_rule(FieldRule(crm="Amount", books="Amount"))
    assert read(fmap, Side.BOOKS, {"Amount": 12.0}) == {"Amount": 12}
    assert read(fmap, Side.BOOKS, {"Amount": ""}) == {"Amount": None}
    assert read(fmap, Side.BOOKS, {}) == {"Amount": None}


def test_sides_send_and_receive_by_direction() -> None:
    fmap = FlowMap(ACCOUNTS)
    assert "Balance" not in fmap.sending_keys(Side.CRM)
    assert "Balance" in fmap.sending_keys(Side.BOOKS)
    assert "Balance" in fmap.receiving_keys(Side.CRM)
    assert "books:ContactNumber" in fmap.sending_keys(Side.CRM)
    assert "books:ContactNumber" in fmap.receiving_keys(Side.BOOKS)
    assert "books:ContactNumber" not in fmap.receiving_keys(Side.CRM)
    assert fmap.keys == [r.key for r in ACCOUNTS.fields]


def test_a_run_direction_narrows_the_map() -> None:
    fmap = FlowMap(ACCOUNTS, Direction.CRM_TO_BOOKS)
    assert fmap.reads(Side.CRM)
    assert not fmap.reads(Side.BOOKS)
    assert fmap.sending_keys(Side.BOOKS) == []
    assert fmap.receiving_keys(Side.CRM) == []
    # Balance flows books -> CRM only: this run neither sends nor receives it.
    assert "Balance" not in fmap.sending_keys(Side.CRM)
    assert "Balance" not in fmap.receiving_keys(Side.BOOKS)


def test_a_run_against_the_flow_direction_reads_nothing() -> None:
    one_way = simple_flow(direction=Direction.CRM_TO_BOOKS)
    fmap = FlowMap(one_way, Direction.BOOKS_TO_CRM)
    assert fmap.direction is None
    assert not fmap.reads(Side.CRM)
    assert not fmap.reads(Side.BOOKS)
    assert fmap.sending_keys(Side.CRM) == fmap.sending_keys(Side.BOOKS) == []


def test_project_holds_every_mapped_field_of_a_side_for_echo_hashes() -> None:
    fmap = FlowMap(ACCOUNTS)
    fields = {"Account_Name": "Acme", "Balance": 5, "Unmapped": "x"}
    projected = fmap.project(Side.CRM, fields)
    assert projected["Account_Name"] == "Acme"
    assert projected["Balance"] == 5  # received only, still part of what we wrote
    assert "Unmapped" not in projected
    assert "books:ContactNumber" not in projected  # it has no CRM field
    assert "books:ContactNumber" in fmap.project(Side.BOOKS, {})


# -- value maps ------------------------------------------------------------------------------

RATING = FieldRule(
    crm="Rating", books="Tier", transform=ValueMapTransform(map={"Hot": "A", "Warm": "B"})
)


def test_value_map_renders_accounting_values_and_reads_them_back() -> None:
    fmap = one_rule(RATING)
    assert render(fmap, Side.BOOKS, {"Rating": "Hot"}) == {"Tier": "A"}
    assert read(fmap, Side.BOOKS, {"Tier": "B"}) == {"Rating": "Warm"}
    assert read(fmap, Side.CRM, {"Rating": "Warm"}) == {"Rating": "Warm"}
    assert render(fmap, Side.CRM, {"Rating": "Warm"}) == {"Rating": "Warm"}


def test_value_map_keeps_empty_values_empty() -> None:
    fmap = one_rule(RATING)
    assert read(fmap, Side.BOOKS, {"Tier": ""}) == {"Rating": None}
    assert render(fmap, Side.BOOKS, {"Rating": None}) == {"Tier": None}


def test_an_unknown_crm_value_fails_with_what_to_add() -> None:
    fmap = one_rule(RATING)
    with pytest.raises(MappingError) as info:
        fmap.render(Side.BOOKS, {"Rating": "Cold"}, ["Rating"], NO_LOOKUPS)
    assert str(info.value) == (
        "Rating is 'Cold', which the value map does not know (known: Hot, Warm); "
        "add it to the map of field Rating"
    )


def test_an_unknown_accounting_value_is_a_reason_not_an_exception() -> None:
    fmap = FlowMap(simple_flow(FieldRule(crm="Name", books="Name"), RATING))
    values, errors = fmap.read(Side.BOOKS, {"Name": "Acme", "Tier": "Z"}, NO_LOOKUPS)
    assert values == {"Name": "Acme"}
    assert errors == [
        "Tier is 'Z', which the value map does not know (known: A, B); "
        "add it to the map of field Rating"
    ]


def test_value_map_defaults_each_way() -> None:
    vm = ValueMapTransform(
        map={"Hot": "A"},
        default_to_books="C",
        has_default_to_books=True,
        default_to_crm="Cold",
        has_default_to_crm=True,
    )
    fmap = one_rule(FieldRule(crm="Rating", books="Tier", transform=vm))
    assert render(fmap, Side.BOOKS, {"Rating": "Lukewarm"}) == {"Tier": "C"}
    assert read(fmap, Side.BOOKS, {"Tier": "Q"}) == {"Rating": "Cold"}


def test_value_map_reads_accounting_numbers_whatever_their_spelling() -> None:
    vm = ValueMapTransform(map={"Net 30": 30, "Net 15": 15})
    fmap = one_rule(FieldRule(crm="Terms", books="Days", transform=vm))
    assert read(fmap, Side.BOOKS, {"Days": 30.0}) == {"Terms": "Net 30"}
    assert read(fmap, Side.BOOKS, {"Days": "15"}) == {"Terms": "Net 15"}


crm_values = st.text(min_size=1, max_size=6)


@given(
    st.dictionaries(crm_values, st.integers(0, 50) | st.text(min_size=1), min_size=1).filter(
        # Bijective once canonical: the config refuses anything else.
        lambda m: len({str(v) for v in m.values()}) == len(m)
    )
)
def test_bijective_value_maps_round_trip(mapping: dict[str, Any]) -> None:
    fmap = one_rule(FieldRule(crm="V", books="V", transform=ValueMapTransform(map=mapping)))
    for crm_value, books_value in mapping.items():
        rendered = render(fmap, Side.BOOKS, {"V": crm_value})
        assert rendered == {"V": books_value}
        # What the accounting system holds reads back as the CRM value it came from.
        assert read(fmap, Side.BOOKS, rendered)["V"] == canon(crm_value)


# -- defaults, computed fields, constants -----------------------------------------------------

CURRENCY = FieldRule(crm="Currency", books="Cur", transform=DefaultTransform(value="USD"))


def test_default_fills_empty_values_read_from_either_side() -> None:
    fmap = one_rule(CURRENCY)
    assert read(fmap, Side.CRM, {"Currency": ""}) == {"Currency": "USD"}
    assert read(fmap, Side.CRM, {"Currency": "EUR"}) == {"Currency": "EUR"}
    assert read(fmap, Side.BOOKS, {}) == {"Currency": "USD"}


def test_default_fills_empty_values_rendered_for_either_side() -> None:
    fmap = one_rule(CURRENCY)
    assert render(fmap, Side.BOOKS, {"Currency": None}) == {"Cur": "USD"}
    assert render(fmap, Side.CRM, {"Currency": None}) == {"Currency": "USD"}
    assert render(fmap, Side.BOOKS, {"Currency": "GBP"}) == {"Cur": "GBP"}


def test_computed_field_is_built_from_the_source_and_written_one_way() -> None:
    rule = FieldRule(
        books="Name",
        direction=Direction.CRM_TO_BOOKS,
        transform=ComputedTransform(template="{First_Name} {Last_Name} ({Account.name})"),
    )
    fmap = one_rule(rule)
    fields = {"First_Name": "Ann", "Last_Name": "Lee", "Account": {"name": "Acme"}}
    values = read(fmap, Side.CRM, fields)
    assert values == {"books:Name": "Ann Lee (Acme)"}
    assert render(fmap, Side.BOOKS, values) == {"Name": "Ann Lee (Acme)"}
    assert fmap.sending_keys(Side.BOOKS) == []
    assert fmap.receiving_keys(Side.CRM) == []


def test_computed_field_collapses_the_gaps_of_missing_parts() -> None:
    rule = FieldRule(
        books="Name",
        direction=Direction.CRM_TO_BOOKS,
        transform=ComputedTransform(template="{ First_Name }  {Last_Name}"),
    )
    fmap = one_rule(rule)
    assert read(fmap, Side.CRM, {"Last_Name": "Lee"}) == {"books:Name": "Lee"}
    assert read(fmap, Side.CRM, {}) == {"books:Name": None}


def test_computed_field_can_use_the_record_id() -> None:
    fmap = FlowMap(ACCOUNTS)
    values = read(fmap, Side.CRM, {"Account_Name": "Acme", "id": "5001"})
    assert values["books:ContactNumber"] == "5001"


def test_computed_field_can_flow_books_to_crm() -> None:
    rule = FieldRule(
        crm="Books_Label",
        direction=Direction.BOOKS_TO_CRM,
        transform=ComputedTransform(template="{InvoiceNumber}/{Status}"),
    )
    fmap = one_rule(rule)
    values = read(fmap, Side.BOOKS, {"InvoiceNumber": "INV-1", "Status": "PAID"})
    assert values == {"Books_Label": "INV-1/PAID"}
    assert render(fmap, Side.CRM, values) == {"Books_Label": "INV-1/PAID"}
    assert read(fmap, Side.CRM, {"Books_Label": "x"}) == {}


def test_constant_is_always_written() -> None:
    rule = FieldRule(
        books="Type", direction=Direction.CRM_TO_BOOKS, transform=ConstantTransform(value="ACCREC")
    )
    fmap = one_rule(rule)
    assert read(fmap, Side.CRM, {}) == {"books:Type": "ACCREC"}
    assert render(fmap, Side.BOOKS, {"books:Type": "ACCREC"}) == {"Type": "ACCREC"}


# -- lookups ---------------------------------------------------------------------------------

ACCOUNT = FieldRule(
    crm="Account_Name",
    books="Contact",
    transform=LookupTransform(flow="accounts", crm_id_path="id", books_id_path="ContactID"),
)


def test_lookup_reads_the_crm_id_from_either_side() -> None:
    fmap = one_rule(ACCOUNT)
    table = lookups()
    crm_fields = {"Account_Name": {"id": "crm-a1", "name": "Acme"}}
    assert read(fmap, Side.CRM, crm_fields, table) == {"Account_Name": "crm-a1"}
    books_fields = {"Contact": {"ContactID": "books-a1", "Name": "Acme"}}
    assert read(fmap, Side.BOOKS, books_fields, table) == {"Account_Name": "crm-a1"}
    assert read(fmap, Side.BOOKS, {"Contact": None}, table) == {"Account_Name": None}


def test_lookup_renders_the_partner_id_in_each_sides_shape() -> None:
    fmap = one_rule(ACCOUNT)
    table = lookups()
    assert render(fmap, Side.BOOKS, {"Account_Name": "crm-a1"}, table) == {
        "Contact": {"ContactID": "books-a1"}
    }
    assert render(fmap, Side.CRM, {"Account_Name": "crm-a1"}, table) == {
        "Account_Name": {"id": "crm-a1"}
    }
    assert render(fmap, Side.BOOKS, {"Account_Name": None}, table) == {"Contact": None}


def test_lookup_of_plain_ids() -> None:
    rule = FieldRule(
        crm="Account_Id",
        books="ContactId",
        transform=LookupTransform(flow="accounts", crm_id_path="", books_id_path=""),
    )
    fmap = one_rule(rule)
    table = lookups()
    assert read(fmap, Side.BOOKS, {"ContactId": "books-a1"}, table) == {"Account_Id": "crm-a1"}
    assert render(fmap, Side.BOOKS, {"Account_Id": "crm-a1"}, table) == {"ContactId": "books-a1"}
    assert render(fmap, Side.CRM, {"Account_Id": "crm-a1"}, table) == {"Account_Id": "crm-a1"}


def test_lookup_by_key_writes_the_bound_records_value() -> None:
    rule = FieldRule(
        crm="Product",
        books="ItemCode",
        direction=Direction.CRM_TO_BOOKS,
        transform=LookupTransform(flow="products", books_key="Code"),
    )
    fmap = one_rule(rule)
    assert render(fmap, Side.BOOKS, {"Product": "crm-p2"}, lookups()) == {"ItemCode": "SKU-2"}


def test_an_unbound_reference_raises_missing_lookup() -> None:
    fmap = one_rule(ACCOUNT)
    with pytest.raises(MissingLookup) as info:
        fmap.read(Side.BOOKS, {"Contact": {"ContactID": "books-x"}}, lookups())
    assert (info.value.flow, info.value.side, info.value.record_id) == (
        "accounts",
        Side.BOOKS,
        "books-x",
    )
    with pytest.raises(MissingLookup) as info:
        fmap.render(Side.BOOKS, {"Account_Name": "crm-x"}, ["Account_Name"], lookups())
    assert (info.value.side, info.value.record_id) == (Side.CRM, "crm-x")


def test_needs_lists_the_references_of_a_record() -> None:
    fmap = FlowMap(INVOICES)
    crm_fields = {
        "Account_Name": {"id": "crm-a1"},
        "Invoiced_Items": [
            {"Product_Name": {"id": "crm-p1"}, "Quantity": 1},
            {"Product_Name": {"id": "crm-p2"}, "Quantity": 2},
            {"Quantity": 3},
        ],
    }
    assert fmap.needs(Side.CRM, crm_fields) == [
        LookupNeed("accounts", Side.CRM, "crm-a1"),
        LookupNeed("products", Side.CRM, "crm-p1"),
        LookupNeed("products", Side.CRM, "crm-p2"),
    ]
    books_fields = {"Contact": {"ContactID": "books-a1"}, "LineItems": [{"ItemCode": "SKU-1"}]}
    # Line products flow CRM -> accounting only: an accounting line's code is never read.
    assert fmap.needs(Side.BOOKS, books_fields) == [LookupNeed("accounts", Side.BOOKS, "books-a1")]
    assert fmap.needs(Side.BOOKS, {}) == []


# -- children --------------------------------------------------------------------------------


def crm_invoice_lines(n: int) -> list[dict[str, Any]]:
    return [
        {"Product_Name": {"id": "crm-p1"}, "Quantity": i + 1, "List_Price": 10, "Description": ""}
        for i in range(n)
    ]


def test_children_read_item_by_item() -> None:
    fmap = FlowMap(INVOICES)
    values = read(fmap, Side.CRM, {"Invoiced_Items": crm_invoice_lines(2)}, lookups())
    assert values["Invoiced_Items"] == [
        {"Product_Name": "crm-p1", "Quantity": 1, "List_Price": 10},
        {"Product_Name": "crm-p1", "Quantity": 2, "List_Price": 10},
    ]


def test_children_skip_items_that_are_not_records() -> None:
    fmap = FlowMap(INVOICES)
    values = read(fmap, Side.BOOKS, {"LineItems": ["junk", {"Quantity": 2}]}, lookups())
    assert values["Invoiced_Items"] == [{"Quantity": 2}]
    assert read(fmap, Side.BOOKS, {"LineItems": "junk"}, lookups())["Invoiced_Items"] is None


def test_children_render_each_sides_fields() -> None:
    fmap = FlowMap(INVOICES)
    value = [{"Product_Name": "crm-p1", "Quantity": 2, "List_Price": 10}]
    table = lookups()
    assert render(fmap, Side.BOOKS, {"Invoiced_Items": value}, table) == {
        "LineItems": [{"ItemCode": "SKU-1", "Quantity": 2, "UnitAmount": 10}]
    }
    # The product flows CRM -> accounting only, so the CRM is not sent one.
    assert render(fmap, Side.CRM, {"Invoiced_Items": value}, table) == {
        "Invoiced_Items": [{"Quantity": 2, "List_Price": 10}]
    }


PERSONS = FieldRule(
    crm="Contacts",
    books="ContactPersons",
    max_items=2,
    children=(FieldRule(crm="Email", books="EmailAddress"),),
)


def test_children_over_the_limit_are_dropped_with_a_warning() -> None:
    fmap = one_rule(PERSONS)
    persons = [{"Email": f"p{i}@x.com"} for i in range(5)]
    rendered = fmap.render(Side.BOOKS, {"Contacts": persons}, ["Contacts"], NO_LOOKUPS)
    assert rendered.fields == {
        "ContactPersons": [{"EmailAddress": "p0@x.com"}, {"EmailAddress": "p1@x.com"}]
    }
    assert rendered.warnings == ("ContactPersons holds at most 2; 3 more were not synced",)


def test_children_at_the_limit_give_no_warning() -> None:
    fmap = one_rule(PERSONS)
    persons = [{"Email": "a@x.com"}, {"Email": "b@x.com"}]
    rendered = fmap.render(Side.BOOKS, {"Contacts": persons}, ["Contacts"], NO_LOOKUPS)
    assert len(rendered.fields["ContactPersons"]) == 2
    assert rendered.warnings == ()


def test_the_limit_is_the_accounting_sides_only() -> None:
    fmap = one_rule(PERSONS)
    persons = [{"Email": f"p{i}@x.com"} for i in range(5)]
    rendered = fmap.render(Side.CRM, {"Contacts": persons}, ["Contacts"], NO_LOOKUPS)
    assert len(rendered.fields["Contacts"]) == 5
    assert rendered.warnings == ()


def test_fill_from_base_keeps_child_fields_the_side_does_not_send() -> None:
    fmap = FlowMap(INVOICES)
    base = {
        "Invoiced_Items": [
            {"Product_Name": "crm-p1", "Quantity": 1, "List_Price": 10},
            {"Product_Name": "crm-p2", "Quantity": 1, "List_Price": 20},
        ]
    }
    books_lines = {
        "LineItems": [
            {"ItemCode": "SKU-1", "Quantity": 1, "UnitAmount": 10},
            {"ItemCode": "SKU-2", "Quantity": 4, "UnitAmount": 20},
            {"ItemCode": "SKU-9", "Quantity": 1, "UnitAmount": 5},
        ]
    }
    values, errors = fmap.read(Side.BOOKS, books_lines, lookups(), base)
    assert errors == []
    assert values["Invoiced_Items"] == [
        {"Product_Name": "crm-p1", "Quantity": 1, "List_Price": 10},
        {"Product_Name": "crm-p2", "Quantity": 4, "List_Price": 20},
        {"Quantity": 1, "List_Price": 5},  # a new line has no base to fill from
    ]


def test_unchanged_accounting_lines_read_as_the_base() -> None:
    fmap = FlowMap(INVOICES)
    table = lookups()
    crm_values = read(fmap, Side.CRM, {"Invoiced_Items": crm_invoice_lines(3)}, table)
    books_fields = render(fmap, Side.BOOKS, {"Invoiced_Items": crm_values["Invoiced_Items"]}, table)
    values, _ = fmap.read(Side.BOOKS, books_fields, table, crm_values)
    assert values["Invoiced_Items"] == crm_values["Invoiced_Items"]


def test_items_past_the_limit_are_kept_when_read_back_from_the_accounting_side() -> None:
    # The accounting side never held the items past its limit, so it cannot have removed them.
    fmap = one_rule(PERSONS)
    persons = [{"Email": f"p{i}@x.com"} for i in range(4)]
    base = read(fmap, Side.CRM, {"Contacts": persons})
    books_fields = fmap.render(Side.BOOKS, base, ["Contacts"], NO_LOOKUPS).fields
    values, _ = fmap.read(Side.BOOKS, books_fields, NO_LOOKUPS, base)
    assert values == base
    # An edit of a synced item is carried; the items past the limit stay as they were.
    books_fields["ContactPersons"][1]["EmailAddress"] = "new@x.com"
    values, _ = fmap.read(Side.BOOKS, books_fields, NO_LOOKUPS, base)
    assert [p["Email"] for p in values["Contacts"]] == [
        "p0@x.com",
        "new@x.com",
        "p2@x.com",
        "p3@x.com",
    ]


def test_an_accounting_list_with_room_left_holds_everything() -> None:
    # Someone removed a person on the accounting side: the list is no longer full, so what it
    # holds is the whole list (the items past the old limit cannot shift into view unseen).
    fmap = one_rule(PERSONS)
    base = read(fmap, Side.CRM, {"Contacts": [{"Email": f"p{i}@x.com"} for i in range(4)]})
    values, _ = fmap.read(
        Side.BOOKS, {"ContactPersons": [{"EmailAddress": "p1@x.com"}]}, NO_LOOKUPS, base
    )
    assert values == {"Contacts": [{"Email": "p1@x.com"}]}
    values, _ = fmap.read(Side.BOOKS, {"ContactPersons": []}, NO_LOOKUPS, base)
    assert values == {"Contacts": None}


def test_starter_products_round_trip() -> None:
    fmap = FlowMap(PRODUCTS)
    crm_fields = {
        "Product_Name": "Widget",
        "Product_Code": "W-1",
        "Unit_Price": 9.5,
        "Tax": "VAT 20%",
    }
    values = read(fmap, Side.CRM, crm_fields)
    books_fields = render(fmap, Side.BOOKS, values)
    assert books_fields == {
        "Name": "Widget",
        "Code": "W-1",
        "SalesDetails": {"UnitPrice": 9.5, "TaxType": "OUTPUT2"},
    }
    assert read(fmap, Side.BOOKS, books_fields) == values


def test_a_value_map_over_crm_numbers_reads_alike_from_both_sides() -> None:
    # Map keys are text; a CRM number field (a tax rate) must not look changed on the way back.
    vm = ValueMapTransform(map={"20": "OUTPUT2", "0": "EXEMPTOUTPUT"})
    fmap = one_rule(FieldRule(crm="Tax_Rate", books="TaxType", transform=vm))
    from_crm = read(fmap, Side.CRM, {"Tax_Rate": 20.0})
    assert render(fmap, Side.BOOKS, from_crm) == {"TaxType": "OUTPUT2"}
    assert read(fmap, Side.BOOKS, {"TaxType": "OUTPUT2"}) == from_crm
    assert read(fmap, Side.CRM, {"Tax_Rate": 0}) == read(
        fmap, Side.BOOKS, {"TaxType": "EXEMPTOUTPUT"}
    )


def test_rules_are_found_by_key() -> None:
    fmap = FlowMap(ACCOUNTS)
    assert fmap.rule("Rating").path(Side.BOOKS) == "Tier"
    assert fmap.rule("books:ContactNumber").path(Side.CRM) is None
    with pytest.raises(KeyError):
        fmap.rule("Nope")
    assert fmap.side_name(Side.BOOKS) == "the accounting system"
