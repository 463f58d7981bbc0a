"""Figures written back to the CRM, and children gathered under their parent."""

from __future__ import annotations

from typing import Any

from ledgerbridge.domain.config import FigureRule, RelatedConfig, RequiredRule
from ledgerbridge.domain.figures import figures_patch, money
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.related import NOTES, enrich, gather, parent_id

RULES = (
    FigureRule(figure="receivables_outstanding", crm="Outstanding_Receivables"),
    FigureRule(figure="sales_total", crm="Total_Sales"),
    FigureRule(figure="online_invoice_url", crm="Xero_Invoice_URL"),
)


def test_only_figures_that_differ_are_written() -> None:
    current = {"Outstanding_Receivables": 10.5, "Total_Sales": None}
    patch = figures_patch(RULES, current, {"receivables_outstanding": 10.50, "sales_total": 7})
    assert patch == {"Total_Sales": 7.0}


def test_an_unknown_figure_is_not_a_zero_and_money_is_rounded() -> None:
    assert figures_patch(RULES, {"Total_Sales": 3}, {}) == {}
    assert money("1.005") == 1.01
    assert money(None) is None and money("n/a") is None
    assert figures_patch(RULES, {"Total_Sales": 1.01}, {"sales_total": 1.005}) == {}


def test_text_figures_are_written_as_text() -> None:
    url = "https://in.xero.com/abc"
    assert figures_patch(RULES, {}, {"online_invoice_url": url}) == {"Xero_Invoice_URL": url}
    assert figures_patch(RULES, {"Xero_Invoice_URL": url}, {"online_invoice_url": url}) == {}


REL = RelatedConfig(
    name="contacts",
    crm_module="Contacts",
    parent_field="Account_Name",
    primary_field="Primary_Contact",
    fields=("First_Name", "Email"),
    required=(RequiredRule(side=Side.CRM, field="Email", message="no Email"),),
    max_others=2,
)


def _c(ident: str, email: str | None, primary: bool = False) -> dict[str, Any]:
    return {
        "id": ident,
        "First_Name": ident.upper(),
        "Email": email,
        "Primary_Contact": primary,
        "Created_Time": f"2031-01-0{ident[-1]}",
        "Account_Name": {"id": "A1", "name": "Acme"},
    }


def test_the_primary_child_is_chosen_and_the_overflow_named() -> None:
    kids = [
        _c("c4", "d@x"),
        _c("c1", "a@x"),
        _c("c2", "b@x", True),
        _c("c3", "c@x"),
        _c("c5", None),
    ]
    got = gather(REL, "Acme", kids)
    assert got.value["primary"] == {"id": "c2", "First_Name": "C2", "Email": "b@x"}
    assert [o["id"] for o in got.value["others"]] == ["c1", "c3"]
    (note,) = got.notes
    assert "C4 (c4)" in note and "c5" not in note


def test_one_child_is_primary_and_several_without_one_are_reported() -> None:
    assert gather(REL, "Acme", [_c("c1", "a@x")]).value["primary"]["id"] == "c1"
    got = gather(REL, "Acme", [_c("c2", "b@x"), _c("c1", "a@x")])
    assert got.value["primary"]["id"] == "c1"  # the earliest
    assert [o["id"] for o in got.value["others"]] == ["c2"]
    assert "Acme has 2 Contacts and none is marked Primary_Contact" in got.notes[0]
    assert "the earliest, C1 (c1)" in got.notes[0]
    two = gather(REL, "Acme", [_c("c1", "a@x", True), _c("c2", "b@x", True)])
    assert two.value["primary"]["id"] == "c1"
    assert "2 primary" in two.notes[0]


def test_enrich_keeps_notes_beside_the_children() -> None:
    got = gather(REL, "Acme", [_c("c1", "a@x"), _c("c2", "b@x")])
    data = enrich({"Account_Name": "Acme"}, {"@contacts": got})
    assert data["@contacts"] == got.value
    assert data[NOTES] == list(got.notes)
    assert NOTES not in enrich({"x": 1}, {"@contacts": gather(REL, "A", [])})
    assert parent_id(REL, {"Account_Name": {"id": " 42 "}}) == "42"
    assert parent_id(REL, {"Account_Name": None}) is None
