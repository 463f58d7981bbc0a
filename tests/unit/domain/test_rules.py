"""Required-field rules and views: which records may sync, and why not."""

from __future__ import annotations

from typing import Any

import pytest

from ledgerbridge.domain.config import RequiredRule, ViewFilter
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.rules import check_required, in_view, is_true, rule_holds

from .builders import simple_flow


def rule(check: str = "present", **kwargs: Any) -> RequiredRule:
    return RequiredRule.model_validate(
        {"side": "crm", "field": "Email", "check": check, "message": "needs it", **kwargs}
    )


@pytest.mark.parametrize("value", [True, "true", "TRUE", " yes ", "1", 1, "on", "Y"])
def test_true_spellings(value: Any) -> None:
    assert is_true(value)


@pytest.mark.parametrize("value", [False, None, "", "false", "0", 0, "no", "maybe"])
def test_false_spellings(value: Any) -> None:
    assert not is_true(value)


@pytest.mark.parametrize(
    ("fields", "holds"),
    [
        ({"Email": "a@b.c"}, True),
        ({"Email": 0}, True),
        ({"Email": ""}, False),
        ({"Email": None}, False),
        ({}, False),
        ({"Email": []}, False),
    ],
)
def test_present(fields: dict[str, Any], holds: bool) -> None:
    assert rule_holds(rule(), fields) is holds


def test_present_reads_nested_paths() -> None:
    r = rule(field="Account_Name.id")
    assert rule_holds(r, {"Account_Name": {"id": "7", "name": "Acme"}})
    assert not rule_holds(r, {"Account_Name": {"name": "Acme"}})


def test_true_check() -> None:
    r = rule("true", field="Sync_To_Books")
    assert rule_holds(r, {"Sync_To_Books": True})
    assert rule_holds(r, {"Sync_To_Books": "true"})
    assert not rule_holds(r, {"Sync_To_Books": False})
    assert not rule_holds(r, {})


def test_one_of_compares_canonical_values() -> None:
    r = rule("one_of", field="Stage", values=("Won", 3))
    assert rule_holds(r, {"Stage": "Won"})
    assert rule_holds(r, {"Stage": 3.0})
    assert rule_holds(r, {"Stage": "Won"})
    assert not rule_holds(r, {"Stage": "won"})
    assert not rule_holds(r, {"Stage": None})


def test_one_of_on_a_lookup_field_does_not_crash() -> None:
    r = rule("one_of", field="Owner", values=({"id": "1"}, "x"))
    assert rule_holds(r, {"Owner": {"id": "1", "name": ""}})
    assert not rule_holds(r, {"Owner": {"id": "2"}})


def test_check_required_splits_failures_and_skips() -> None:
    flow = simple_flow(
        required=(
            rule(message="Contact has no Email: add one"),
            rule("true", field="Sync", skip=True, message="not marked for sync"),
            rule(field="Phone", side="books", message="books only"),
        )
    )
    assert check_required(flow, Side.CRM, {}) == (
        ["Contact has no Email: add one"],
        ["not marked for sync"],
    )
    assert check_required(flow, Side.CRM, {"Email": "a@b.c", "Sync": True}) == ([], [])
    # Rules of the other side are not applied.
    assert check_required(flow, Side.BOOKS, {"Email": "a@b.c"}) == (["books only"], [])


def test_no_views_means_everything_is_in_view() -> None:
    assert in_view((), Side.CRM, {})


def test_views_filter_records_of_their_side() -> None:
    views = (
        ViewFilter(side=Side.CRM, equals={"Type": "Customer", "Active": True}),
        ViewFilter(side=Side.BOOKS, equals={"IsCustomer": True}),
    )
    assert in_view(views, Side.CRM, {"Type": "Customer", "Active": "true"})
    assert not in_view(views, Side.CRM, {"Type": "Customer", "Active": False})
    assert not in_view(views, Side.CRM, {"Type": "Vendor", "Active": True})
    assert not in_view(views, Side.CRM, {"Active": True})
    assert in_view(views, Side.BOOKS, {"IsCustomer": "TRUE", "Type": "Vendor"})
    assert not in_view(views, Side.BOOKS, {})


def test_views_compare_numbers_canonically() -> None:
    views = (ViewFilter(side=Side.CRM, equals={"Tier": 2, "Owner.id": "9"}),)
    assert in_view(views, Side.CRM, {"Tier": 2.0, "Owner": {"id": "9"}})
    assert not in_view(views, Side.CRM, {"Tier": 3, "Owner": {"id": "9"}})


def test_false_in_a_view_matches_missing_fields() -> None:
    views = (ViewFilter(side=Side.CRM, equals={"Archived": False}),)
    assert in_view(views, Side.CRM, {})
    assert not in_view(views, Side.CRM, {"Archived": True})
