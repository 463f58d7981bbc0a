"""The mapping editor's form: rules to rows and back, with each problem on its input."""

from __future__ import annotations

from typing import Any

from ledgerbridge.domain.config import (
    ConstantTransform,
    Direction,
    FieldRule,
    FlowConfig,
    ValueMapTransform,
)
from ledgerbridge.portal.mapping_form import TOP, blank_row, parse, rows_of, version


def flow() -> FlowConfig:
    return FlowConfig(
        name="people",
        crm_module="People",
        books_module="Contacts",
        fields=(
            FieldRule(crm="Full_Name", books="Name"),
            FieldRule(
                crm="Level",
                books="Tier",
                transform=ValueMapTransform(map={"Gold": 1, "Silver": "S"}),
            ),
            FieldRule(
                books="Source",
                direction=Direction.CRM_TO_BOOKS,
                transform=ConstantTransform(value="crm"),
            ),
        ),
    )


def form_of(config: FlowConfig, **changes: str) -> dict[str, Any]:
    """The form exactly as the page renders it, with ``changes`` typed in."""
    form: dict[str, Any] = {"version": version(config)}
    for row in rows_of(config):
        p = row.prefix
        form[f"{p}-crm"] = row.crm
        form[f"{p}-books"] = row.books
        form[f"{p}-direction"] = row.direction
        for j, pair in enumerate(row.pairs):
            form[f"{p}-m{j}-crm"] = pair.crm
            form[f"{p}-m{j}-books"] = pair.books
    blank = blank_row()
    form["new-direction"] = blank.direction
    form["new-kind"] = blank.kind
    form.update({k.replace("_", "-"): v for k, v in changes.items()})
    return form


def test_an_untouched_form_gives_back_the_same_flow_numbers_and_constants_included() -> None:
    parsed = parse(flow(), form_of(flow()))
    assert parsed.errors == {}
    assert parsed.flow == flow()


def test_directions_rules_and_value_pairs_are_edited() -> None:
    got = parse(
        flow(),
        form_of(
            flow(),
            r0_direction="crm_to_books",
            r1_m1_remove="on",
            r1_mnew_crm="Bronze",
            r1_mnew_books="B",
            new_crm="Email",
            new_books="EmailAddress",
        ),
    )
    assert got.errors == {}
    assert got.flow is not None
    name, level, constant, email = got.flow.fields
    assert name.direction is Direction.CRM_TO_BOOKS
    assert isinstance(level.transform, ValueMapTransform)
    assert level.transform.map == {"Gold": 1, "Bronze": "B"}
    assert isinstance(constant.transform, ConstantTransform)
    assert (email.crm, email.books, email.direction) == ("Email", "EmailAddress", Direction.BOTH)


def test_a_removed_rule_is_gone_and_a_new_value_map_starts_empty() -> None:
    got = parse(flow(), form_of(flow(), r0_remove="on", new_crm="Stage", new_books="Status",
                                new_kind="value_map"))  # fmt: skip
    assert got.flow is not None
    assert [r.key for r in got.flow.fields] == ["Level", "books:Source", "Stage"]
    assert got.flow.fields[-1].transform == ValueMapTransform(map={})


def test_each_problem_is_keyed_by_its_input_and_nothing_is_built() -> None:
    got = parse(
        flow(),
        form_of(flow(), r0_books="", r0_direction="both", r1_mnew_crm="Gold", r1_mnew_books="G"),
    )
    assert got.flow is None
    assert "needs a 'books' field" in got.errors["r0-books"]
    assert "mapped twice" in got.errors["r1-mnew-crm"]
    # The rows keep what was typed, to show it again.
    assert got.rows[0].books == "" and got.rows[1].new_pair.crm == "Gold"


def test_a_value_map_that_cannot_be_read_back_is_refused() -> None:
    got = parse(flow(), form_of(flow(), r1_m1_books="1"))
    assert got.flow is None
    assert "cannot be reversed" in got.errors["r1-crm"]


def test_a_flow_with_no_rules_left_and_a_stale_form_are_refused_as_a_whole() -> None:
    everything = {f"r{i}_remove": "on" for i in range(3)}
    got = parse(flow(), form_of(flow(), **everything))
    assert got.flow is None
    assert "at least one field rule" in got.errors[TOP]
    stale = form_of(flow())
    stale["version"] = "0" * 16
    assert "changed elsewhere" in parse(flow(), stale).errors[TOP]


def test_an_unknown_direction_is_refused_on_its_select() -> None:
    got = parse(flow(), form_of(flow(), r0_direction="sideways"))
    assert got.errors == {"r0-direction": "Choose a direction from the list."}
