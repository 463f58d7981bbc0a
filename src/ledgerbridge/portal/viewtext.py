"""A flow's view filters as editable text, one condition a line, and back (pure).

A line is ``FIELD OPERATOR [VALUE]``, e.g. ``Account_Type equals Customer``,
``Email is_not_empty`` or ``Status in Active, Pending``. A value that reads as JSON (``true``,
``12``, ``"12"``) keeps its JSON type, so a filter on a boolean stays a boolean.
"""

from __future__ import annotations

import json
from typing import Any

from ledgerbridge.domain.config import ViewCondition, ViewFilter, ViewOperator
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Side

_NO_VALUE = frozenset({ViewOperator.IS_EMPTY, ViewOperator.IS_NOT_EMPTY})
_MANY = frozenset({ViewOperator.IN, ViewOperator.NOT_IN})


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
        return json.dumps(value)  # "12" stays a string: shown quoted
    return json.dumps(value)


def _parse_value(text: str) -> Any:
    cleaned = text.strip()
    try:
        return json.loads(cleaned)
    except ValueError:
        return cleaned


def conditions_of(view: ViewFilter) -> list[ViewCondition]:
    """Every condition of ``view``, its ``equals`` short form included."""
    return [ViewCondition(field=k, value=v) for k, v in view.equals.items()] + list(view.conditions)


def condition_line(condition: ViewCondition) -> str:
    op = condition.operator
    if op in _NO_VALUE:
        return f"{condition.field} {op.value}"
    if op in _MANY:
        return f"{condition.field} {op.value} " + ", ".join(_value_text(v) for v in condition.value)
    return f"{condition.field} {op.value} {_value_text(condition.value)}"


def view_text(views: tuple[ViewFilter, ...], side: Side) -> str:
    lines = [condition_line(c) for v in views if v.side is side for c in conditions_of(v)]
    return "\n".join(lines)


def custom_view_id(views: tuple[ViewFilter, ...]) -> str:
    for view in views:
        if view.side is Side.CRM and view.custom_view_id:
            return view.custom_view_id
    return ""


def parse_conditions(text: str, side: Side) -> tuple[ViewCondition, ...]:
    """The conditions in ``text``; a ConfigError names the line that cannot be read."""
    allowed = ", ".join(op.value for op in ViewOperator)
    out: list[ViewCondition] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = line.split(None, 2)
        where = f"{side.value} view, line {number} ({line!r})"
        if len(parts) < 2:
            raise ConfigError(f"{where}: write FIELD OPERATOR VALUE, e.g. Status equals Active")
        field, op_text = parts[0], parts[1].lower()
        try:
            op = ViewOperator(op_text)
        except ValueError:
            raise ConfigError(
                f"{where}: unknown operator {op_text!r}; use one of {allowed}"
            ) from None
        rest = parts[2] if len(parts) == 3 else ""
        if op in _NO_VALUE:
            if rest:
                raise ConfigError(f"{where}: {op.value} takes no value")
            value: Any = None
        elif op in _MANY:
            value = [_parse_value(v) for v in rest.split(",") if v.strip()]
            if not value:
                raise ConfigError(f"{where}: {op.value} needs values separated by commas")
        else:
            if not rest:
                raise ConfigError(f"{where}: {op.value} needs a value")
            value = _parse_value(rest)
        out.append(ViewCondition(field=field, operator=op, value=value))
    return tuple(out)


def build_views(crm_text: str, books_text: str, crm_view_id: str) -> tuple[ViewFilter, ...]:
    """The view filters of a flow from the edited text of both sides."""
    views: list[ViewFilter] = []
    crm_conditions = parse_conditions(crm_text, Side.CRM)
    view_id = crm_view_id.strip() or None
    if crm_conditions or view_id:
        views.append(ViewFilter(side=Side.CRM, conditions=crm_conditions, custom_view_id=view_id))
    books_conditions = parse_conditions(books_text, Side.BOOKS)
    if books_conditions:
        views.append(ViewFilter(side=Side.BOOKS, conditions=books_conditions))
    return tuple(views)
