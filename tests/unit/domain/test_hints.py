"""Failures sorted into kinds, grouped, and each group given the fix a person can make."""

from __future__ import annotations

from ledgerbridge.domain.hints import FailureKind, classify, fix_hint, problem, top_failures
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunItem

MISSING = (
    "it refers to CRM record {id} of flow products, which is not synced yet; sync that record "
    "first (it is tried automatically) or fix its errors"
)
NO_TAX = "Product has no Tax that maps to a Xero tax rate: pick one of GST, Exempt"


def _failed(flow: str, reason: str, label: str = "", **detail: str) -> RunItem:
    return RunItem(
        flow, Side.CRM, label or reason[:8], Outcome.FAILED, reason, label=label, detail=detail
    )


def test_each_kind_is_told_by_the_reason_or_the_target_s_error_code() -> None:
    assert classify(NO_TAX) is FailureKind.REQUIRED_FIELD
    assert classify("Product is not marked Taxable: tick it") is FailureKind.REQUIRED_FIELD
    assert classify(MISSING.format(id="42")) is FailureKind.WAITING_FOR_DEPENDENCY
    assert classify("x", {"code": "duplicate", "field": "Name"}) is FailureKind.DUPLICATE
    assert (
        classify("the CRM refused it: required field not found (Subject)")
        is FailureKind.TARGET_MANDATORY
    )
    assert classify("y", {"code": "mandatory_missing"}) is FailureKind.TARGET_MANDATORY
    assert classify("ambiguous match: two contacts share it") is FailureKind.AMBIGUOUS_MATCH
    assert classify("the CRM refused it: invalid data (Phone)") is FailureKind.TARGET_REFUSED
    assert classify("the connection timed out") is FailureKind.OTHER


def test_waiting_records_group_whatever_record_they_wait_for() -> None:
    assert problem(MISSING.format(id="1")) == problem(MISSING.format(id="2"))
    assert "flow products" in problem(MISSING.format(id="1"))
    assert problem(NO_TAX) == NO_TAX


def test_hints_name_the_field_and_where_to_fix_it() -> None:
    assert "fill in Tax" in fix_hint(FailureKind.REQUIRED_FIELD, NO_TAX)
    duplicate = fix_hint(FailureKind.DUPLICATE, "x", {"field": "Product_Code"})
    assert "Product_Code" in duplicate and "bind them by hand" in duplicate
    waiting = fix_hint(FailureKind.WAITING_FOR_DEPENDENCY, MISSING.format(id="1"))
    assert "flow products first" in waiting
    mandatory = fix_hint(FailureKind.TARGET_MANDATORY, "z", {"field": "Subject"})
    assert "Subject" in mandatory and "field rule" in mandatory
    # every kind has a hint of its own
    hints = {fix_hint(kind, "r") for kind in FailureKind}
    assert len(hints) == len(FailureKind)


def test_top_failures_are_the_most_frequent_problems_with_an_example_each() -> None:
    items = [
        _failed("invoices", MISSING.format(id="1"), "INV-1"),
        _failed("invoices", MISSING.format(id="2"), "INV-2"),
        _failed("invoices", MISSING.format(id="3"), "INV-3"),
        _failed("products", NO_TAX, "WID-100"),
        _failed("products", NO_TAX, "WID-101"),
        _failed("accounts", "name taken", "Acme", code="duplicate", field="Name"),
        RunItem("accounts", Side.CRM, "9", Outcome.CREATED, label="Beta"),
    ]
    groups = top_failures(items, top=2)
    assert [(g.flow, g.count, g.example) for g in groups] == [
        ("invoices", 3, "INV-1"),
        ("products", 2, "WID-100"),
    ]
    assert groups[0].kind is FailureKind.WAITING_FOR_DEPENDENCY
    assert groups[1].kind is FailureKind.REQUIRED_FIELD and "Tax" in groups[1].hint
    assert [g.kind for g in top_failures(items)][-1] is FailureKind.DUPLICATE
    assert top_failures(items[-1:]) == []
