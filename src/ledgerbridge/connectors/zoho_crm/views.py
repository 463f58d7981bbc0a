"""Custom views (``cvid``): a view's criteria as the conditions a flow holds records to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledgerbridge.domain.config import ViewCondition, ViewOperator
from ledgerbridge.domain.errors import ConfigError

EMPTY = "${EMPTY}"

_OPERATORS = {
    "equal": ViewOperator.EQUALS,
    "equals": ViewOperator.EQUALS,
    "not_equal": ViewOperator.NOT_EQUAL,
    "contains": ViewOperator.CONTAINS,
    "not_contains": ViewOperator.NOT_CONTAINS,
    "starts_with": ViewOperator.STARTS_WITH,
    "ends_with": ViewOperator.ENDS_WITH,
    "in": ViewOperator.IN,
    "not_in": ViewOperator.NOT_IN,
}


def conditions(view_id: str, criteria: Any) -> tuple[ViewCondition, ...]:
    """The view's criteria (``comparator``/``field``/``value`` or an ``and`` group) as conditions.

    Conditions are all-of; a view that ORs its criteria, or compares in a way a flow cannot,
    is refused naming it, so a person can pick another view or write the conditions out.
    """
    if criteria is None:
        return ()
    if not isinstance(criteria, Mapping):
        raise ConfigError(f"CRM custom view {view_id} has criteria that cannot be read")
    if "group" in criteria:
        if str(criteria.get("group_operator", "and")).lower() != "and":
            raise ConfigError(
                f"CRM custom view {view_id} joins its criteria with OR; a flow can only hold "
                "records to criteria that must all hold: use a view without OR"
            )
        out: list[ViewCondition] = []
        for item in criteria.get("group") or []:
            out.extend(conditions(view_id, item))
        return tuple(out)
    comparator = str(criteria.get("comparator") or "")
    field = criteria.get("field") or {}
    name = str(field.get("api_name") if isinstance(field, Mapping) else field)
    value = criteria.get("value")
    if value == EMPTY and comparator in ("equal", "not_equal"):
        op = ViewOperator.IS_EMPTY if comparator == "equal" else ViewOperator.IS_NOT_EMPTY
        return (ViewCondition(field=name, operator=op),)
    op_found = _OPERATORS.get(comparator)
    if op_found is None:
        raise ConfigError(
            f"CRM custom view {view_id} compares {name} with {comparator!r}, which a flow cannot "
            f"check; its comparisons: {', '.join(sorted(_OPERATORS))} and empty"
        )
    if op_found in (ViewOperator.IN, ViewOperator.NOT_IN) and not isinstance(value, list):
        value = [value]
    return (ViewCondition(field=name, operator=op_found, value=value),)
