"""Canonical values and hashes: API spelling differences must never look like changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.domain.values import canon, is_empty, stable_json, value_hash

# JSON-like values as connectors hand them over, Decimals and dates included.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
    st.text(max_size=20),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)


@pytest.mark.parametrize("empty", [None, "", [], {}, (), {"a": None}, {"a": ""}])
def test_empty_values_are_none(empty: Any) -> None:
    assert canon(empty) is None
    assert is_empty(empty)


@pytest.mark.parametrize("value", [0, 0.0, False, " ", "0", [None]])
def test_falsy_values_that_mean_something_are_kept(value: Any) -> None:
    assert not is_empty(value)


def test_numbers_of_different_spelling_are_equal() -> None:
    assert canon(12.5) == canon(Decimal("12.50")) == canon(12.50)
    assert canon(12) == canon(12.0) == canon(Decimal("12.000")) == 12
    assert isinstance(canon(12.0), int)
    assert canon(Decimal("12.35")) == 12.35


def test_money_survives_the_round_trip_through_text() -> None:
    for text in ["12.35", "0.1", "1999.99", "-0.01"]:
        assert str(canon(Decimal(text))) == text


def test_a_fraction_below_float_precision_canonicalises_once() -> None:
    # The float of this decimal is whole; canon must not turn it into an int only on the
    # second pass, or a stored base would differ from the same value read again.
    once = canon(Decimal("45904290281861980.0001"))
    assert canon(once) == once
    assert once == canon(45904290281861980.0)


def test_non_finite_numbers_become_text() -> None:
    assert canon(float("nan")) == "NaN"
    assert canon(Decimal("Infinity")) == "Infinity"


def test_booleans_are_not_numbers() -> None:
    assert canon(True) is True
    assert canon(False) is False
    assert canon(1) == 1


def test_dates_become_iso_text() -> None:
    assert canon(date(2024, 3, 1)) == "2024-03-01"
    moment = datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
    assert canon(moment) == "2024-03-01T12:30:00+00:00"


def test_nested_values_drop_empty_members() -> None:
    got = canon({"id": "7", "name": "", "extra": {"x": None}, "n": Decimal("2.0")})
    assert got == {"id": "7", "n": 2}


def test_lists_keep_order_and_tuples_become_lists() -> None:
    assert canon(("b", "a", 1.0)) == ["b", "a", 1]


def test_mapping_keys_become_text() -> None:
    assert canon({1: "one"}) == {"1": "one"}


def test_unknown_objects_become_text() -> None:
    class Code:
        def __str__(self) -> str:
            return "C-1"

    assert canon(Code()) == "C-1"


@given(values)
def test_canon_is_idempotent(value: Any) -> None:
    once = canon(value)
    assert canon(once) == once


@given(values)
def test_canonical_values_are_json_safe(value: Any) -> None:
    # stable_json raises on anything JSON cannot carry (Decimal, date, ...).
    stable_json(canon(value))


@given(st.dictionaries(st.text(max_size=8), values, max_size=6), st.randoms())
def test_hash_does_not_depend_on_key_order(fields: dict[str, Any], rnd: Any) -> None:
    canonical = {k: canon(v) for k, v in fields.items()}
    keys = list(canonical)
    rnd.shuffle(keys)
    shuffled = {k: canonical[k] for k in keys}
    assert value_hash(shuffled) == value_hash(canonical)


def test_hash_tells_values_apart() -> None:
    assert value_hash({"a": 1}) != value_hash({"a": 2})
    assert value_hash({"a": 1}) != value_hash({"b": 1})
    assert value_hash({"a": "1"}) != value_hash({"a": 1})
    assert len(value_hash({})) == 32


def test_hash_is_stable_across_processes() -> None:
    # A binding's stored hash must still match after a restart: no per-process salt.
    assert value_hash({"n": 2, "Name": "Acme"}) == "f55d264b80a018f4c70a13506d368605"
