"""Flows run after the flows they depend on."""

from __future__ import annotations

import pytest

from ledgerbridge.domain.config import Direction, FieldRule, FlowConfig, LookupTransform
from ledgerbridge.domain.ordering import order_flows
from ledgerbridge.recipes.starter import ACCOUNTS, INVOICES, PRODUCTS


def flow(name: str, *rules: FieldRule, depends_on: tuple[str, ...] = ()) -> FlowConfig:
    return FlowConfig(
        name=name,
        crm_module=name,
        books_module=name,
        fields=(FieldRule(crm="Name", books="Name"), *rules),
        depends_on=depends_on,
    )


def names(flows: list[FlowConfig]) -> list[str]:
    return [f.name for f in flows]


def test_independent_flows_keep_their_order() -> None:
    assert names(order_flows([flow("b"), flow("a"), flow("c")])) == ["b", "a", "c"]


def test_declared_dependencies_come_first() -> None:
    got = order_flows(
        [flow("invoices", depends_on=("products", "accounts")), flow("accounts"), flow("products")]
    )
    assert names(got) == ["accounts", "products", "invoices"]


def test_starter_recipe_order() -> None:
    assert names(order_flows([INVOICES, PRODUCTS, ACCOUNTS])) == [
        "accounts",
        "products",
        "invoices",
    ]


def test_lookups_are_dependencies() -> None:
    contacts = flow(
        "contacts",
        FieldRule(crm="Account", books="Org", transform=LookupTransform(flow="accounts")),
    )
    assert names(order_flows([contacts, flow("accounts")])) == ["accounts", "contacts"]


def test_lookups_of_nested_children_are_dependencies() -> None:
    grandchild = FieldRule(
        crm="Product",
        books="ItemCode",
        direction=Direction.CRM_TO_BOOKS,
        transform=LookupTransform(flow="products", books_key="Code"),
    )
    lines = FieldRule(
        crm="Groups",
        books="Groups",
        children=(FieldRule(crm="Lines", books="Lines", children=(grandchild,)),),
    )
    assert names(order_flows([flow("quotes", lines), flow("products")])) == ["products", "quotes"]


def test_dependencies_outside_the_list_are_ignored() -> None:
    # A run of one flow orders just that flow.
    assert names(order_flows([flow("invoices", depends_on=("accounts",))])) == ["invoices"]


def test_a_cycle_names_its_flows() -> None:
    with pytest.raises(ValueError, match=r"cycle: a -> b -> a"):
        order_flows([flow("a", depends_on=("b",)), flow("b", depends_on=("a",))])


def test_depending_on_itself_is_a_cycle() -> None:
    with pytest.raises(ValueError, match=r"cycle: a -> a"):
        order_flows([flow("a", depends_on=("a",))])
