"""Flow config validation: every refusal says what to fix."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ledgerbridge.domain.config import (
    ComputedTransform,
    ConstantTransform,
    DefaultTransform,
    Direction,
    FieldRule,
    FlowConfig,
    IntegrationConfig,
    LookupTransform,
    RenameTransform,
    RequiredRule,
    ScheduleConfig,
    ValueMapTransform,
)
from ledgerbridge.domain.records import Side
from ledgerbridge.recipes.starter import starter_config


def flow(name: str, *rules: FieldRule, **extra: Any) -> FlowConfig:
    return FlowConfig(
        name=name,
        crm_module=name.title(),
        books_module=name.title(),
        fields=rules or (FieldRule(crm="Name", books="Name"),),
        **extra,
    )


def integration(*flows: FlowConfig) -> IntegrationConfig:
    return IntegrationConfig(
        name="acme", crm_connection="crm", books_connection="books", flows=flows
    )


def refusal(build: Any) -> str:
    with pytest.raises(ValidationError) as info:
        build()
    return str(info.value)


# -- directions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "reads_crm", "reads_books"),
    [
        (Direction.BOTH, True, True),
        (Direction.CRM_TO_BOOKS, True, False),
        (Direction.BOOKS_TO_CRM, False, True),
    ],
)
def test_direction_reads_and_writes(
    direction: Direction, reads_crm: bool, reads_books: bool
) -> None:
    assert direction.reads(Side.CRM) is reads_crm
    assert direction.reads(Side.BOOKS) is reads_books
    assert direction.writes(Side.BOOKS) is reads_crm
    assert direction.writes(Side.CRM) is reads_books


def test_direction_narrowing() -> None:
    both, c2b, b2c = Direction.BOTH, Direction.CRM_TO_BOOKS, Direction.BOOKS_TO_CRM
    assert both.narrow(c2b) is c2b
    assert c2b.narrow(both) is c2b
    assert both.narrow(both) is both
    assert c2b.narrow(c2b) is c2b
    assert c2b.narrow(b2c) is None
    assert b2c.narrow(c2b) is None


# -- field rules -----------------------------------------------------------------------------


def test_a_rule_needs_a_field() -> None:
    assert "needs a 'crm' or a 'books' field" in refusal(FieldRule)


@pytest.mark.parametrize(
    "transform", [ComputedTransform(template="{First} {Last}"), ConstantTransform(value="ACCREC")]
)
def test_one_way_transforms_must_say_their_direction(transform: Any) -> None:
    message = refusal(lambda: FieldRule(crm="Name", books="Name", transform=transform))
    assert f"a {transform.kind} field can only flow one way" in message
    assert "set direction to crm_to_books or books_to_crm" in message


def test_one_way_transforms_are_fine_with_a_direction() -> None:
    rule = FieldRule(
        books="Type", direction=Direction.CRM_TO_BOOKS, transform=ConstantTransform(value="X")
    )
    assert rule.key == "books:Type"


@pytest.mark.parametrize(
    ("kwargs", "needs"),
    [
        ({"crm": "Name", "direction": Direction.BOTH}, "needs a 'books' field"),
        ({"crm": "Name", "direction": Direction.CRM_TO_BOOKS}, "needs a 'books' field"),
        ({"books": "Name", "direction": Direction.BOTH}, "needs a 'crm' field"),
        ({"books": "Name", "direction": Direction.BOOKS_TO_CRM}, "needs a 'crm' field"),
    ],
)
def test_a_direction_needs_the_fields_it_writes(kwargs: dict[str, Any], needs: str) -> None:
    message = refusal(lambda: FieldRule(**kwargs))
    assert needs in message
    assert "field Name" in message


def test_a_two_way_value_map_must_be_reversible() -> None:
    vm = ValueMapTransform(map={"Hot": "A", "Warm": "A", "Cold": "C"})
    message = refusal(lambda: FieldRule(crm="Rating", books="Tier", transform=vm))
    assert "field Rating" in message
    assert "cannot be reversed" in message
    assert "make the field one-way" in message
    # One way towards the accounting side never reads the map backwards.
    FieldRule(crm="Rating", books="Tier", transform=vm, direction=Direction.CRM_TO_BOOKS)


def test_values_that_canonicalise_alike_make_a_map_irreversible() -> None:
    # Read back, 1 and 1.0 (or "1" and 1) are the same accounting value.
    for values in ({"a": 1, "b": 1.0}, {"a": "1", "b": 1}):
        vm = ValueMapTransform(map=values)
        assert "cannot be reversed" in refusal(
            lambda vm=vm: FieldRule(crm="Code", books="Code", transform=vm)
        )


def test_a_value_map_read_only_backwards_must_be_reversible() -> None:
    vm = ValueMapTransform(map={"Draft": "DRAFT", "Pending": "DRAFT"})
    message = refusal(
        lambda: FieldRule(
            crm="Status", books="Status", transform=vm, direction=Direction.BOOKS_TO_CRM
        )
    )
    assert "field Status" in message
    assert "cannot be reversed" in message


def test_rule_key_is_the_crm_field_or_the_books_field() -> None:
    assert FieldRule(crm="Name", books="Name").key == "Name"
    rule = FieldRule(
        books="ContactNumber",
        direction=Direction.CRM_TO_BOOKS,
        transform=ComputedTransform(template="{id}"),
    )
    assert rule.key == "books:ContactNumber"


def test_transforms_are_read_by_kind() -> None:
    rule = FieldRule.model_validate(
        {"crm": "Currency", "books": "Cur", "transform": {"kind": "default", "value": "USD"}}
    )
    assert rule.transform == DefaultTransform(value="USD")
    assert FieldRule(crm="a", books="b").transform == RenameTransform()
    assert "transform" in refusal(
        lambda: FieldRule.model_validate({"crm": "a", "books": "b", "transform": {"kind": "magic"}})
    )


def test_unknown_options_are_refused() -> None:
    assert "Extra inputs are not permitted" in refusal(
        lambda: FieldRule.model_validate({"crm": "a", "books": "b", "dirction": "both"})
    )


# -- flows -----------------------------------------------------------------------------------


def test_a_flow_needs_a_field() -> None:
    message = refusal(lambda: FlowConfig(name="a", crm_module="A", books_module="A", fields=()))
    assert "at least one field rule" in message


def test_a_field_mapped_twice_is_refused() -> None:
    message = refusal(
        lambda: flow(
            "accounts", FieldRule(crm="Name", books="Name"), FieldRule(crm="Name", books="N2")
        )
    )
    assert "field Name is mapped twice; keep one rule per field" in message


def test_two_rules_writing_one_accounting_field_are_refused() -> None:
    message = refusal(
        lambda: flow(
            "accounts",
            FieldRule(crm="Account_Name", books="Name"),
            FieldRule(crm="Legal_Name", books="Name"),
        )
    )
    assert "Name" in message
    assert "mapped twice" in message


def test_one_field_may_feed_a_field_each_way() -> None:
    # The CRM full name is built one way; the accounting name comes back into another field.
    flow(
        "contacts",
        FieldRule(
            books="Name",
            direction=Direction.CRM_TO_BOOKS,
            transform=ComputedTransform(template="{First_Name} {Last_Name}"),
        ),
        FieldRule(crm="Books_Name", books="Name", direction=Direction.BOOKS_TO_CRM),
    )


def test_child_fields_mapped_twice_are_refused() -> None:
    message = refusal(
        lambda: FieldRule(
            crm="Items",
            books="LineItems",
            children=(
                FieldRule(crm="Quantity", books="Quantity"),
                FieldRule(crm="Quantity", books="Qty"),
            ),
        )
    )
    assert "Quantity is mapped twice" in message


@pytest.mark.parametrize("name", ["Accounts", "1accounts", "", "with space", "a" * 64])
def test_flow_names_are_short_lowercase_words(name: str) -> None:
    assert "name" in refusal(lambda: flow(name))


# -- integrations ----------------------------------------------------------------------------


def test_flow_names_are_unique_in_an_integration() -> None:
    message = refusal(lambda: integration(flow("accounts"), flow("accounts")))
    assert "flow names must be unique; repeated: accounts" in message


def test_depending_on_an_unknown_flow_is_refused() -> None:
    message = refusal(lambda: integration(flow("invoices", depends_on=("acounts",))))
    assert "flow invoices depends on unknown flow 'acounts'" in message


def test_a_lookup_to_an_unknown_flow_is_refused() -> None:
    lookup = FieldRule(crm="Account_Name", books="Contact", transform=LookupTransform(flow="acc"))
    message = refusal(lambda: integration(flow("invoices", lookup)))
    assert "flow invoices, field Account_Name: lookup to unknown flow 'acc'" in message


def test_a_child_lookup_to_an_unknown_flow_is_refused() -> None:
    lines = FieldRule(
        crm="Items",
        books="LineItems",
        children=(
            FieldRule(
                crm="Product",
                books="ItemCode",
                direction=Direction.CRM_TO_BOOKS,
                transform=LookupTransform(flow="prods", books_key="Code"),
            ),
        ),
    )
    message = refusal(lambda: integration(flow("invoices", lines)))
    assert "field Product: lookup to unknown flow 'prods'" in message


def test_dependency_cycles_are_refused_with_the_cycle() -> None:
    message = refusal(
        lambda: integration(
            flow("a", depends_on=("b",)), flow("b", depends_on=("c",)), flow("c", depends_on=("a",))
        )
    )
    assert "flows depend on each other in a cycle: a -> b -> c -> a" in message


def test_a_lookup_cycle_is_refused() -> None:
    to_b = FieldRule(crm="B", books="B", transform=LookupTransform(flow="b"))
    to_a = FieldRule(crm="A", books="A", transform=LookupTransform(flow="a"))
    message = refusal(lambda: integration(flow("a", to_b), flow("b", to_a)))
    assert "cycle: a -> b -> a" in message


def test_a_lookup_into_its_own_flow_is_no_cycle() -> None:
    parent = FieldRule(crm="Parent_Account", books="Parent", transform=LookupTransform(flow="a"))
    integration(flow("a", FieldRule(crm="Name", books="Name"), parent))


def test_a_child_lookup_into_its_own_flow_is_no_cycle() -> None:
    # Bills of materials: a product's components are products of the same flow.
    parts = FieldRule(
        crm="Components",
        books="Parts",
        children=(FieldRule(crm="Part", books="Item", transform=LookupTransform(flow="products")),),
    )
    integration(flow("products", FieldRule(crm="Name", books="Name"), parts))


def test_config_round_trips_through_json() -> None:
    config = starter_config()
    again = IntegrationConfig.model_validate_json(config.model_dump_json())
    assert again == config


def test_config_is_frozen() -> None:
    config = starter_config()
    with pytest.raises(ValidationError):
        config.name = "other"  # type: ignore[misc]


def test_a_lookup_by_accounting_key_must_flow_to_the_accounting_side() -> None:
    message = refusal(
        lambda: FieldRule(
            crm="Product",
            books="ItemCode",
            transform=LookupTransform(flow="products", books_key="Code"),
        )
    )
    assert "field Product: a lookup that writes the accounting Code cannot be read back" in message
    assert "set direction to crm_to_books" in message


def test_a_field_with_children_takes_no_transform() -> None:
    message = refusal(
        lambda: FieldRule(
            crm="Items",
            books="LineItems",
            transform=DefaultTransform(value=[]),
            children=(FieldRule(crm="Quantity", books="Quantity"),),
        )
    )
    assert "field Items: a field with children cannot have a default transform" in message


def test_max_items_needs_children_and_a_positive_limit() -> None:
    assert "this field has none" in refusal(
        lambda: FieldRule(crm="Email", books="Email", max_items=5)
    )
    child = (FieldRule(crm="Email", books="EmailAddress"),)
    assert "max_items must be 1 or more" in refusal(
        lambda: FieldRule(crm="Contacts", books="ContactPersons", children=child, max_items=0)
    )


def test_one_of_needs_its_values() -> None:
    message = refusal(
        lambda: RequiredRule(side=Side.CRM, field="Stage", check="one_of", message="m")
    )
    assert "required rule on Stage: check one_of needs the allowed 'values'" in message


@pytest.mark.parametrize("time", ["7:00", "24:00", "12:60", "noon"])
def test_schedule_times_are_hh_mm(time: str) -> None:
    assert "times" in refusal(lambda: ScheduleConfig(times=(time,)))


def test_schedule_accepts_times_of_day() -> None:
    assert ScheduleConfig(times=("00:00", "07:30", "23:59")).times == ("00:00", "07:30", "23:59")
