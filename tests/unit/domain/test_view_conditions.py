"""Criteria views beyond equals, and match keys that must stay unique."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ledgerbridge.domain.config import (
    DuplicatePolicy,
    FieldRule,
    FlowConfig,
    MatchKey,
    ViewCondition,
    ViewFilter,
    ViewOperator,
)
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.rules import in_view


def _view(field: str, op: ViewOperator, value: Any = None) -> tuple[ViewFilter, ...]:
    return (
        ViewFilter(
            side=Side.CRM, conditions=(ViewCondition(field=field, operator=op, value=value),)
        ),
    )


@pytest.mark.parametrize(
    ("op", "value", "field_value", "inside"),
    [
        (ViewOperator.EQUALS, "Retail", " retail ", True),
        (ViewOperator.EQUALS, "Retail", "Wholesale", False),
        (ViewOperator.NOT_EQUAL, "Retail", "Wholesale", True),
        (ViewOperator.NOT_EQUAL, "Retail", "RETAIL", False),
        (ViewOperator.IS_EMPTY, None, "", True),
        (ViewOperator.IS_EMPTY, None, None, True),
        (ViewOperator.IS_EMPTY, None, "x", False),
        (ViewOperator.IS_NOT_EMPTY, None, "x", True),
        (ViewOperator.IS_NOT_EMPTY, None, "  ", False),
        (ViewOperator.CONTAINS, "ltd", "Acme LTD Europe", True),
        (ViewOperator.CONTAINS, "ltd", "Acme Inc", False),
        (ViewOperator.NOT_CONTAINS, "test", "Acme", True),
        (ViewOperator.NOT_CONTAINS, "test", "Test account", False),
        (ViewOperator.STARTS_WITH, "ac", "Acme", True),
        (ViewOperator.STARTS_WITH, "me", "Acme", False),
        (ViewOperator.ENDS_WITH, "me", "Acme", True),
        (ViewOperator.IN, ["A", "B"], "b", True),
        (ViewOperator.IN, ["A", "B"], "c", False),
        (ViewOperator.NOT_IN, ["A", "B"], "c", True),
        (ViewOperator.EQUALS, "Owner Name", {"id": "9", "name": "owner name"}, True),
        (ViewOperator.EQUALS, "9", {"id": "9", "name": "Someone"}, True),
        (ViewOperator.EQUALS, True, "true", True),
        (ViewOperator.EQUALS, 5, 5.0, True),
    ],
)
def test_a_condition_holds_as_zoho_criteria_compare(
    op: ViewOperator, value: Any, field_value: Any, inside: bool
) -> None:
    assert in_view(_view("F", op, value), Side.CRM, {"F": field_value}) is inside


def test_conditions_of_the_other_side_do_not_apply() -> None:
    views = _view("F", ViewOperator.IS_NOT_EMPTY)
    assert in_view(views, Side.BOOKS, {})
    assert not in_view(views, Side.CRM, {})


def test_every_condition_and_every_equals_must_hold() -> None:
    views = (
        ViewFilter(
            side=Side.CRM,
            equals={"Type": "Customer"},
            conditions=(ViewCondition(field="Name", operator=ViewOperator.STARTS_WITH, value="A"),),
        ),
    )
    assert in_view(views, Side.CRM, {"Type": "Customer", "Name": "Acme"})
    assert not in_view(views, Side.CRM, {"Type": "Customer", "Name": "Globex"})
    assert not in_view(views, Side.CRM, {"Type": "Partner", "Name": "Acme"})


@pytest.mark.parametrize(
    ("op", "value", "says"),
    [
        (ViewOperator.IS_EMPTY, "x", "takes no value"),
        (ViewOperator.IN, "x", "needs a list"),
        (ViewOperator.CONTAINS, None, "needs a value"),
    ],
)
def test_a_condition_with_the_wrong_value_is_refused(
    op: ViewOperator, value: Any, says: str
) -> None:
    with pytest.raises(ValidationError, match=says):
        ViewCondition(field="F", operator=op, value=value)


def test_a_custom_view_belongs_to_the_crm_side() -> None:
    with pytest.raises(ValidationError, match="side crm"):
        ViewFilter(side=Side.BOOKS, custom_view_id="123")


def test_an_old_equals_view_still_loads() -> None:
    view = ViewFilter.model_validate({"side": "crm", "equals": {"Add_to_Books": True}})
    assert view.conditions == ()
    assert in_view((view,), Side.CRM, {"Add_to_Books": "true"})


def _flow(policy: DuplicatePolicy, *, unique: bool) -> FlowConfig:
    return FlowConfig(
        name="items",
        crm_module="Products",
        books_module="items",
        match_keys=(MatchKey(crm="Product_Code", books="sku", unique=unique),),
        duplicate_policy=policy,
        fields=(FieldRule(crm="Product_Name", books="name"),),
    )


def test_a_unique_key_refuses_clone_with_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"Product_Code <-> sku.*overwrite or skip"):
        _flow(DuplicatePolicy.CLONE, unique=True)


@pytest.mark.parametrize("policy", [DuplicatePolicy.OVERWRITE, DuplicatePolicy.SKIP])
def test_a_unique_key_allows_overwrite_and_skip(policy: DuplicatePolicy) -> None:
    assert _flow(policy, unique=True).match_keys[0].unique


def test_a_key_that_need_not_be_unique_may_clone() -> None:
    assert _flow(DuplicatePolicy.CLONE, unique=False).duplicate_policy is DuplicatePolicy.CLONE
