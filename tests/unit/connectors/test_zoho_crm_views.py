"""A Zoho CRM custom view's criteria read as flow conditions."""

from __future__ import annotations

import pytest

from ledgerbridge.connectors.zoho_crm.views import conditions
from ledgerbridge.domain.config import ViewCondition, ViewOperator
from ledgerbridge.domain.errors import ConfigError


def _c(field: str, comparator: str, value: object) -> dict[str, object]:
    return {"comparator": comparator, "field": {"api_name": field}, "value": value}


def test_an_and_group_becomes_all_of_its_conditions() -> None:
    criteria = {
        "group_operator": "AND",
        "group": [
            _c("Account_Type", "equal", "Customer"),
            _c("Description", "equal", "${EMPTY}"),
            _c("Phone", "not_equal", "${EMPTY}"),
            _c("Account_Name", "starts_with", "A"),
            _c("Industry", "in", "Retail"),
        ],
    }
    assert conditions("1", criteria) == (
        ViewCondition(field="Account_Type", operator=ViewOperator.EQUALS, value="Customer"),
        ViewCondition(field="Description", operator=ViewOperator.IS_EMPTY),
        ViewCondition(field="Phone", operator=ViewOperator.IS_NOT_EMPTY),
        ViewCondition(field="Account_Name", operator=ViewOperator.STARTS_WITH, value="A"),
        ViewCondition(field="Industry", operator=ViewOperator.IN, value=["Retail"]),
    )


def test_a_view_without_criteria_holds_everything() -> None:
    assert conditions("1", None) == ()


def test_an_or_view_is_refused_naming_it() -> None:
    criteria = {"group_operator": "or", "group": [_c("A", "equal", "1"), _c("B", "equal", "2")]}
    with pytest.raises(ConfigError, match="view 77 joins its criteria with OR"):
        conditions("77", criteria)


def test_a_comparison_a_flow_cannot_check_is_refused() -> None:
    with pytest.raises(ConfigError, match="compares Amount with 'greater_than'"):
        conditions("5", _c("Amount", "greater_than", 10))
