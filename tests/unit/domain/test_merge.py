"""Three-way merge laws, and which side wins a conflict."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.domain.config import ConflictPolicy
from ledgerbridge.domain.merge import Conflict, merge, winner
from ledgerbridge.domain.records import Side

from .builders import books, crm

KEYS = ["a", "b", "c", "d", "e"]
values = st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["x", "y", "z"]))
bases = st.fixed_dictionaries({}, optional=dict.fromkeys(KEYS, values))
changes = st.dictionaries(st.sampled_from(KEYS), values, max_size=5)
sides = st.sampled_from(list(Side))
receiving = st.sets(st.sampled_from(KEYS))


def present(values: dict[str, Any]) -> dict[str, Any]:
    """A missing key and a None value both mean an empty field."""
    return {k: v for k, v in values.items() if v is not None}


def run(
    base: dict[str, Any],
    crm_values: dict[str, Any],
    books_values: dict[str, Any],
    *,
    on_conflict: Side = Side.CRM,
    receives_crm: set[str] | None = None,
    receives_books: set[str] | None = None,
) -> Any:
    return merge(
        base,
        crm_values,
        books_values,
        keys=KEYS,
        receives_crm=set(KEYS) if receives_crm is None else receives_crm,
        receives_books=set(KEYS) if receives_books is None else receives_books,
        on_conflict=on_conflict,
    )


@given(bases, sides)
def test_nothing_changed_is_identity(base: dict[str, Any], side: Side) -> None:
    result = run(base, {}, {}, on_conflict=side)
    assert result.base == base
    assert result.to_crm == result.to_books == ()
    assert result.conflicts == ()


@given(bases, sides)
def test_sending_the_base_values_again_is_identity(base: dict[str, Any], side: Side) -> None:
    result = run(base, dict(base), dict(base), on_conflict=side)
    assert result.base == base
    assert (result.to_crm, result.to_books, result.conflicts) == ((), (), ())


@given(bases, changes, sides, receiving)
def test_a_change_on_one_side_always_wins(
    base: dict[str, Any], crm_values: dict[str, Any], side: Side, receives: set[str]
) -> None:
    result = run(base, crm_values, {}, on_conflict=side, receives_books=receives)
    assert present(result.base) == present({**base, **crm_values})
    changed = [k for k in KEYS if k in crm_values and crm_values[k] != base.get(k)]
    assert list(result.to_books) == [k for k in changed if k in receives]
    assert result.to_crm == ()
    assert result.conflicts == ()


@given(bases, changes, sides)
def test_a_books_change_mirrors_a_crm_change(
    base: dict[str, Any], books_values: dict[str, Any], side: Side
) -> None:
    result = run(base, {}, books_values, on_conflict=side)
    assert present(result.base) == present({**base, **books_values})
    assert list(result.to_crm) == [
        k for k in KEYS if k in books_values and books_values[k] != base.get(k)
    ]
    assert result.to_books == ()


@given(bases, changes, sides)
def test_the_same_change_on_both_sides_is_no_conflict(
    base: dict[str, Any], both: dict[str, Any], side: Side
) -> None:
    result = run(base, both, dict(both), on_conflict=side)
    assert present(result.base) == present({**base, **both})
    assert result.conflicts == ()
    assert result.to_crm == result.to_books == ()


@given(bases, changes, changes, sides)
def test_conflicts_go_to_the_policy_side(
    base: dict[str, Any], crm_values: dict[str, Any], books_values: dict[str, Any], side: Side
) -> None:
    result = run(base, crm_values, books_values, on_conflict=side)
    clashing = [
        k
        for k in KEYS
        if k in crm_values
        and k in books_values
        and crm_values[k] != base.get(k)
        and books_values[k] != base.get(k)
        and crm_values[k] != books_values[k]
    ]
    assert [c.key for c in result.conflicts] == clashing
    for c in result.conflicts:
        assert c.crm_value == crm_values[c.key]
        assert c.books_value == books_values[c.key]
        assert c.base_value == base.get(c.key)
        assert c.chosen is side
        winning = crm_values if side is Side.CRM else books_values
        assert result.base[c.key] == winning[c.key]
        # The loser is told; the winner already has the value.
        assert c.key in (result.to_books if side is Side.CRM else result.to_crm)
        assert c.key not in (result.to_crm if side is Side.CRM else result.to_books)


@given(bases, changes, changes, sides)
def test_merged_base_holds_one_sides_value_for_each_change(
    base: dict[str, Any], crm_values: dict[str, Any], books_values: dict[str, Any], side: Side
) -> None:
    result = run(base, crm_values, books_values, on_conflict=side)
    for key in KEYS:
        candidates = {repr(base.get(key))}
        candidates |= {repr(v[key]) for v in (crm_values, books_values) if key in v}
        assert repr(result.base.get(key)) in candidates
    # A side is only ever sent the other side's value.
    for key in result.to_books:
        assert result.base[key] == crm_values[key]
    for key in result.to_crm:
        assert result.base[key] == books_values[key]


def test_changes_to_different_fields_cross_over() -> None:
    base = {"a": 1, "b": 2}
    result = run(base, {"a": 10}, {"b": 20})
    assert result.base == {"a": 10, "b": 20}
    assert result.to_books == ("a",)
    assert result.to_crm == ("b",)


def test_a_cleared_field_is_a_change() -> None:
    result = run({"a": "x"}, {"a": None}, {})
    assert result.base == {"a": None}
    assert result.to_books == ("a",)


def test_fields_a_side_does_not_receive_are_not_written_to_it() -> None:
    result = run({"a": 1}, {}, {"a": 2}, receives_crm=set())
    assert result.base == {"a": 2}
    assert result.to_crm == ()


def test_keys_outside_the_map_are_kept_untouched() -> None:
    result = merge(
        {"old": 1, "a": 1},
        {"old": 5, "a": 2},
        {},
        keys=["a"],
        receives_crm=set(),
        receives_books={"a"},
        on_conflict=Side.CRM,
    )
    assert result.base == {"old": 1, "a": 2}
    assert result.to_books == ("a",)


def test_a_conflict_records_both_values() -> None:
    result = run({"a": "base"}, {"a": "crm"}, {"a": "books"}, on_conflict=Side.BOOKS)
    assert result.conflicts == (Conflict("a", "crm", "books", "base", Side.BOOKS),)
    assert result.base == {"a": "books"}
    assert result.to_crm == ("a",)
    assert result.to_books == ()


@pytest.mark.parametrize(
    ("policy", "crm_minute", "books_minute", "first", "expected"),
    [
        (ConflictPolicy.CRM_WINS, 0, 10, Side.BOOKS, Side.CRM),
        (ConflictPolicy.BOOKS_WINS, 10, 0, Side.CRM, Side.BOOKS),
        (ConflictPolicy.LATEST_WINS, 10, 0, Side.BOOKS, Side.CRM),
        (ConflictPolicy.LATEST_WINS, 0, 10, Side.CRM, Side.BOOKS),
        (ConflictPolicy.LATEST_WINS, 5, 5, Side.CRM, Side.CRM),
        (ConflictPolicy.LATEST_WINS, 5, 5, Side.BOOKS, Side.BOOKS),
    ],
)
def test_winner(
    policy: ConflictPolicy, crm_minute: int, books_minute: int, first: Side, expected: Side
) -> None:
    assert winner(policy, crm("c", crm_minute), books("b", books_minute), first) is expected
