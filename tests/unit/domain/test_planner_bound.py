"""Planning bound records: echoes, deletions, three-way merge, conflicts."""

from __future__ import annotations

import pytest

from ledgerbridge.domain.bindings import Binding
from ledgerbridge.domain.config import ConflictPolicy, Direction, RequiredRule
from ledgerbridge.domain.lookups import LookupTable
from ledgerbridge.domain.mapping import FlowMap
from ledgerbridge.domain.merge import Conflict
from ledgerbridge.domain.planner import Create, Fail, Skip, Update
from ledgerbridge.domain.records import Record, Side
from ledgerbridge.recipes.starter import INVOICES

from .builders import bind, books, crm, deleted, edited
from .planning import FLOW, plan, plan_one, with_

ACME = crm("c1", 0, Account_Name="Acme", Email="ann@acme.test", Phone="1", Rating="Hot")
ACME_BOOKS = books("b1", 0, Name="Acme", EmailAddress="ann@acme.test", Phone="1", Tier="A")


def binding(crm_record: Record = ACME, books_record: Record = ACME_BOOKS) -> Binding:
    return bind(FlowMap(FLOW), crm_record, books_record)


# -- echoes and deletions --------------------------------------------------------------------


def test_our_own_write_coming_back_is_an_echo() -> None:
    action = plan_one(Side.CRM, edited(ACME, 9), bindings=[binding()], partners=[ACME_BOOKS])
    assert isinstance(action, Skip)
    assert action.echo
    assert not action.report
    assert action.partner_id == "b1"


def test_spelling_and_unmapped_changes_are_echoes() -> None:
    respelled = edited(ACME_BOOKS, 9, Phone="1", Balance=None, Notes="unmapped", Tier="A")
    action = plan_one(Side.BOOKS, respelled, bindings=[binding()])
    assert isinstance(action, Skip)
    assert action.echo


def test_a_number_written_as_text_is_a_change() -> None:
    # Canonical values keep "1" and 1 apart: APIs that retype a field did change it.
    action = plan_one(
        Side.CRM, edited(ACME, 9, Phone=1), bindings=[binding()], partners=[ACME_BOOKS]
    )
    assert isinstance(action, Update)


def test_a_deleted_bound_record_is_reported_and_its_partner_kept() -> None:
    action = plan_one(Side.CRM, deleted(ACME), bindings=[binding()])
    assert isinstance(action, Skip)
    assert action.report
    assert not action.echo
    assert action.partner_id == "b1"
    assert action.reason == (
        "deleted in the CRM system; its partner is kept because flow accounts does not carry "
        "deletions across"
    )


@pytest.mark.parametrize("partners", [[], [deleted(ACME_BOOKS)]], ids=["missing", "tombstone"])
def test_a_deleted_partner_is_reported_not_recreated(partners: list[Record]) -> None:
    action = plan_one(Side.CRM, edited(ACME, 9, Phone="2"), bindings=[binding()], partners=partners)
    assert isinstance(action, Skip)
    assert action.report
    assert action.partner_id == "b1"
    assert action.reason == (
        "its accounting partner b1 was deleted; it is not recreated (re-link it or remove the "
        "binding)"
    )


def test_done_ids_are_skipped_before_anything_else() -> None:
    action = plan_one(Side.CRM, deleted(ACME), bindings=[binding()], done={"c1"})
    assert isinstance(action, Skip)
    assert action.echo
    assert not action.report


# -- one side changed ------------------------------------------------------------------------


def test_a_crm_change_patches_only_the_changed_accounting_fields() -> None:
    changed = edited(ACME, 9, Phone="2", Rating="Warm")
    action = plan_one(Side.CRM, changed, bindings=[binding()], partners=[ACME_BOOKS])
    assert isinstance(action, Update)
    assert action.binding == binding()
    assert action.books_patch == {"Phone": "2", "Tier": "B"}
    assert action.crm_patch == {}
    assert action.base == {**binding().base, "Phone": "2", "Rating": "Warm"}
    assert action.conflicts == ()
    assert action.writes
    assert (action.crm, action.books) == (changed, ACME_BOOKS)


def test_an_accounting_change_patches_the_crm() -> None:
    changed = edited(ACME_BOOKS, 9, Tier="C", Balance=40.5)
    action = plan_one(Side.BOOKS, changed, bindings=[binding()], partners=[ACME])
    assert isinstance(action, Update)
    assert action.crm_patch == {"Rating": "Cold", "Balance": 40.5}
    assert action.books_patch == {}
    assert action.base["Rating"] == "Cold"
    assert action.base["Balance"] == 40.5


def test_a_cleared_field_is_cleared_on_the_other_side() -> None:
    changed = edited(ACME, 9, Phone="")
    action = plan_one(Side.CRM, changed, bindings=[binding()], partners=[ACME_BOOKS])
    assert isinstance(action, Update)
    assert action.books_patch == {"Phone": None}


def test_a_change_that_reads_as_the_base_writes_nothing() -> None:
    # The raw value changed but its canonical reading did not: only hashes need refreshing.
    stored = Binding(
        crm_id="c1",
        books_id="b1",
        base=binding().base,
        crm_hash="stale",
        books_hash=binding().books_hash,
    )
    action = plan_one(Side.CRM, ACME, bindings=[stored], partners=[ACME_BOOKS])
    assert isinstance(action, Update)
    assert not action.writes
    assert action.base == binding().base


def test_a_field_the_run_does_not_carry_is_left_alone() -> None:
    changed = edited(ACME_BOOKS, 9, Phone="5")
    action = plan_one(
        Side.BOOKS,
        changed,
        bindings=[binding()],
        partners=[ACME],
        run=Direction.CRM_TO_BOOKS,
    )
    assert isinstance(action, Update)
    assert not action.writes


def test_an_unknown_accounting_value_fails_the_record() -> None:
    changed = edited(ACME_BOOKS, 9, Tier="Z")
    action = plan_one(Side.BOOKS, changed, bindings=[binding()], partners=[ACME])
    assert isinstance(action, Fail)
    assert action.partner_id == "c1"
    assert "Tier is 'Z', which the value map does not know" in action.reason


def test_required_rules_apply_to_bound_records() -> None:
    flow = with_(
        required=[
            RequiredRule(side=Side.CRM, field="Email", message="Account has no Email"),
            RequiredRule(
                side=Side.CRM, field="Active", check="true", skip=True, message="not active"
            ),
        ]
    )
    fmap_binding = bind(FlowMap(flow), ACME, ACME_BOOKS)
    no_email = edited(ACME, 9, Email="", Active=True)
    action = plan_one(Side.CRM, no_email, flow=flow, bindings=[fmap_binding], partners=[ACME_BOOKS])
    assert isinstance(action, Fail)
    assert action.reason == "Account has no Email"
    assert action.partner_id == "b1"
    inactive = edited(ACME, 9, Phone="7", Active=False)
    action = plan_one(Side.CRM, inactive, flow=flow, bindings=[fmap_binding], partners=[ACME_BOOKS])
    assert isinstance(action, Skip)
    assert action.report
    assert action.reason == "not active"


# -- both sides changed ----------------------------------------------------------------------


def test_changes_to_different_fields_on_both_sides_cross_over() -> None:
    crm_now = edited(ACME, 9, Phone="2")
    books_now = edited(ACME_BOOKS, 8, Tier="C")
    action = plan_one(Side.CRM, crm_now, bindings=[binding()], partners=[books_now])
    assert isinstance(action, Update)
    assert action.books_patch == {"Phone": "2"}
    assert action.crm_patch == {"Rating": "Cold"}
    assert action.conflicts == ()


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    crm_now = edited(ACME, 9, Phone="2")
    books_now = edited(ACME_BOOKS, 8, Phone="2")
    action = plan_one(Side.BOOKS, books_now, bindings=[binding()], partners=[crm_now])
    assert isinstance(action, Update)
    assert action.conflicts == ()
    assert not action.writes
    assert action.base["Phone"] == "2"


@pytest.mark.parametrize(
    ("policy", "crm_minute", "books_minute", "chosen"),
    [
        (ConflictPolicy.CRM_WINS, 1, 9, Side.CRM),
        (ConflictPolicy.BOOKS_WINS, 9, 1, Side.BOOKS),
        (ConflictPolicy.LATEST_WINS, 9, 1, Side.CRM),
        (ConflictPolicy.LATEST_WINS, 1, 9, Side.BOOKS),
        (ConflictPolicy.LATEST_WINS, 5, 5, Side.CRM),  # a tie goes to the flow's first side
    ],
)
def test_conflicts_are_resolved_by_policy_and_recorded_with_both_values(
    policy: ConflictPolicy, crm_minute: int, books_minute: int, chosen: Side
) -> None:
    flow = with_(conflict_policy=policy)
    crm_now = edited(ACME, crm_minute, Phone="crm-phone")
    books_now = edited(ACME_BOOKS, books_minute, Phone="books-phone")
    bound = bind(FlowMap(flow), ACME, ACME_BOOKS)
    action = plan_one(Side.CRM, crm_now, flow=flow, bindings=[bound], partners=[books_now])
    assert isinstance(action, Update)
    assert action.conflicts == (Conflict("Phone", "crm-phone", "books-phone", "1", chosen),)
    if chosen is Side.CRM:
        assert action.books_patch == {"Phone": "crm-phone"}
        assert action.crm_patch == {}
    else:
        assert action.crm_patch == {"Phone": "books-phone"}
        assert action.books_patch == {}
    assert action.base["Phone"] == ("crm-phone" if chosen is Side.CRM else "books-phone")


def test_the_plan_is_the_same_from_either_side() -> None:
    crm_now = edited(ACME, 9, Phone="crm-phone", Rating="Cold")
    books_now = edited(ACME_BOOKS, 3, Phone="books-phone", Name="Acme Inc")
    from_crm = plan_one(Side.CRM, crm_now, bindings=[binding()], partners=[books_now])
    from_books = plan_one(Side.BOOKS, books_now, bindings=[binding()], partners=[crm_now])
    assert isinstance(from_crm, Update)
    assert isinstance(from_books, Update)
    for field in ("crm_patch", "books_patch", "base", "conflicts"):
        assert getattr(from_crm, field) == getattr(from_books, field)


# -- references and children -----------------------------------------------------------------

INV_CRM = Record(
    "ci1",
    "Invoices",
    {
        "Invoice_Number": "INV-1",
        "Account_Name": {"id": "ca1"},
        "Invoiced_Items": [
            {"Product_Name": {"id": "cp1"}, "Quantity": 1, "List_Price": 10},
            {"Product_Name": {"id": "cp2"}, "Quantity": 2, "List_Price": 20},
        ],
    },
    crm("x").modified_at,
)
INV_BOOKS = Record(
    "bi1",
    "Invoices",
    {
        "InvoiceNumber": "INV-1",
        "Contact": {"ContactID": "ba1"},
        "Type": "ACCREC",
        "Status": "DRAFT",
        "LineItems": [
            {"ItemCode": "SKU-1", "Quantity": 1, "UnitAmount": 10},
            {"ItemCode": "SKU-2", "Quantity": 2, "UnitAmount": 20},
        ],
    },
    crm("x").modified_at,
)


def invoice_lookups() -> LookupTable:
    table = LookupTable()
    table.add("accounts", "ca1", "ba1", {})
    table.add("accounts", "ca2", "ba2", {})
    table.add("products", "cp1", "bp1", {"Code": "SKU-1"})
    table.add("products", "cp2", "bp2", {"Code": "SKU-2"})
    return table


def invoice_binding() -> Binding:
    return bind(FlowMap(INVOICES), INV_CRM, INV_BOOKS, invoice_lookups())


def test_an_accounting_line_change_keeps_the_crm_only_product() -> None:
    lines = [dict(i) for i in INV_BOOKS.fields["LineItems"]]
    lines[1]["Quantity"] = 5
    books_now = edited(INV_BOOKS, 9, LineItems=lines)
    action = plan_one(
        Side.BOOKS,
        books_now,
        flow=INVOICES,
        bindings=[invoice_binding()],
        partners=[INV_CRM],
        lookups=invoice_lookups(),
    )
    assert isinstance(action, Update)
    assert action.crm_patch == {
        "Invoiced_Items": [
            {"Quantity": 1, "List_Price": 10},
            {"Quantity": 5, "List_Price": 20},
        ]
    }
    assert action.base["Invoiced_Items"][1] == {
        "Product_Name": "cp2",
        "Quantity": 5,
        "List_Price": 20,
    }


def test_an_unchanged_accounting_invoice_writes_no_lines() -> None:
    books_now = edited(INV_BOOKS, 9, Reference="PO-7")
    action = plan_one(
        Side.BOOKS,
        books_now,
        flow=INVOICES,
        bindings=[invoice_binding()],
        partners=[INV_CRM],
        lookups=invoice_lookups(),
    )
    assert isinstance(action, Update)
    assert action.crm_patch == {"Subject": "PO-7"}


def test_a_reference_to_an_unbound_record_fails_with_missing_set() -> None:
    crm_now = edited(INV_CRM, 9, Account_Name={"id": "ca-new"})
    action = plan_one(
        Side.CRM,
        crm_now,
        flow=INVOICES,
        bindings=[invoice_binding()],
        partners=[INV_BOOKS],
        lookups=invoice_lookups(),
    )
    assert isinstance(action, Fail)
    assert action.partner_id == "bi1"
    assert action.missing is not None
    assert (action.missing.flow, action.missing.side, action.missing.record_id) == (
        "accounts",
        Side.CRM,
        "ca-new",
    )


def test_a_reference_changed_to_another_bound_record_is_rewritten() -> None:
    crm_now = edited(INV_CRM, 9, Account_Name={"id": "ca2", "name": "Other"})
    action = plan_one(
        Side.CRM,
        crm_now,
        flow=INVOICES,
        bindings=[invoice_binding()],
        partners=[INV_BOOKS],
        lookups=invoice_lookups(),
    )
    assert isinstance(action, Update)
    assert action.books_patch == {"Contact": {"ContactID": "ba2"}}


def test_many_records_in_one_page_are_planned_in_order() -> None:
    other = crm("c2", Account_Name="Beta")
    actions = plan(
        Side.CRM,
        edited(ACME, 9, Phone="3"),
        other,
        deleted(crm("c3")),
        bindings=[binding()],
        partners=[ACME_BOOKS],
    )
    assert [type(a).__name__ for a in actions] == ["Update", "Create", "Skip"]


PEOPLE = with_(
    fields=[
        *FLOW.model_dump()["fields"],
        {
            "crm": "Contacts",
            "books": "ContactPersons",
            "max_items": 2,
            "children": [{"crm": "Email", "books": "EmailAddress"}],
        },
    ]
)
PERSONS = [{"Email": f"p{i}@acme.test"} for i in range(4)]


def test_children_over_the_limit_warn_on_create() -> None:
    action = plan_one(Side.CRM, edited(ACME, 1, Contacts=PERSONS), flow=PEOPLE)
    assert isinstance(action, Create)
    assert action.warnings == ("ContactPersons holds at most 2; 2 more were not synced",)
    assert len(action.fields["ContactPersons"]) == 2


def test_an_accounting_change_keeps_the_crm_children_past_the_limit() -> None:
    crm_now = edited(ACME, 0, Contacts=PERSONS)
    books_synced = edited(
        ACME_BOOKS,
        0,
        ContactPersons=[{"EmailAddress": "p0@acme.test"}, {"EmailAddress": "p1@acme.test"}],
    )
    # As after the create: the base holds all four, the accounting side two.
    bound = bind(FlowMap(PEOPLE), crm_now, books_synced)
    assert len(bound.base["Contacts"]) == 4
    books_now = edited(books_synced, 9, Phone="55")
    action = plan_one(Side.BOOKS, books_now, flow=PEOPLE, bindings=[bound], partners=[crm_now])
    assert isinstance(action, Update)
    assert action.crm_patch == {"Phone": "55"}
    assert len(action.base["Contacts"]) == 4


NAMES = with_(
    match_keys=[],
    fields=[
        {"crm": "First_Name", "books": "FirstName"},
        {"crm": "Last_Name", "books": "LastName"},
        {
            "books": "Name",
            "direction": "crm_to_books",
            "transform": {"kind": "computed", "template": "{First_Name} {Last_Name}"},
        },
    ],
)


def test_a_computed_field_follows_inputs_written_by_the_same_update() -> None:
    person = crm("c1", First_Name="Ann", Last_Name="Lee")
    contact = books("b1", FirstName="Ann", LastName="Lee", Name="Ann Lee")
    bound = bind(FlowMap(NAMES), person, contact)
    married = edited(contact, 9, LastName="Kim")
    action = plan_one(Side.BOOKS, married, flow=NAMES, bindings=[bound], partners=[person])
    assert isinstance(action, Update)
    assert action.crm_patch == {"Last_Name": "Kim"}
    # The name is built from the CRM, which this update changes: it is rebuilt now.
    assert action.books_patch == {"Name": "Ann Kim"}
    assert action.base["books:Name"] == "Ann Kim"
