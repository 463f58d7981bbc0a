"""Dotted paths into nested records."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.domain.paths import get_path, set_path, top_level


def test_reads_top_level_and_nested_values() -> None:
    fields = {"Name": "Acme", "SalesDetails": {"UnitPrice": 9.5, "Tax": {"Code": "OUTPUT2"}}}
    assert get_path(fields, "Name") == "Acme"
    assert get_path(fields, "SalesDetails.UnitPrice") == 9.5
    assert get_path(fields, "SalesDetails.Tax.Code") == "OUTPUT2"


def test_missing_steps_read_as_none() -> None:
    fields: dict[str, Any] = {"Account_Name": None, "Owner": "x", "Lines": [{"a": 1}]}
    assert get_path(fields, "Account_Name.id") is None
    assert get_path(fields, "Nope.id") is None
    assert get_path(fields, "Owner.id") is None  # a step into text
    assert get_path(fields, "Lines.a") is None  # lists are not walked


def test_empty_path_is_the_whole_value() -> None:
    fields = {"a": 1}
    assert get_path(fields, "") is fields


def test_falsy_values_are_read_as_they_are() -> None:
    assert get_path({"a": {"b": 0}}, "a.b") == 0
    assert get_path({"a": False}, "a") is False


def test_set_creates_nested_dicts_and_keeps_siblings() -> None:
    target: dict[str, Any] = {"SalesDetails": {"TaxType": "NONE"}, "Other": "x"}
    set_path(target, "SalesDetails.UnitPrice", 10)
    set_path(target, "Contact.ContactID", "c-1")
    assert target == {
        "SalesDetails": {"TaxType": "NONE", "UnitPrice": 10},
        "Other": "x",
        "Contact": {"ContactID": "c-1"},
    }


def test_set_replaces_a_scalar_in_the_way() -> None:
    target: dict[str, Any] = {"Contact": "old"}
    set_path(target, "Contact.ContactID", "c-1")
    assert target == {"Contact": {"ContactID": "c-1"}}


def test_top_level() -> None:
    assert top_level("SalesDetails.UnitPrice") == "SalesDetails"
    assert top_level("Name") == "Name"


names = st.text(alphabet="abcXYZ_", min_size=1, max_size=5)


@given(st.lists(names, min_size=1, max_size=4), st.integers() | st.text(min_size=1))
def test_what_is_set_is_read_back(parts: list[str], value: Any) -> None:
    target: dict[str, Any] = {}
    path = ".".join(parts)
    set_path(target, path, value)
    assert get_path(target, path) == value
