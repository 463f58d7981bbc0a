"""Required-field rules and views: which records may sync, and why not."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ledgerbridge.domain.config import (
    FlowConfig,
    RequiredRule,
    ViewCondition,
    ViewFilter,
    ViewOperator,
)
from ledgerbridge.domain.paths import get_path
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.values import canon, is_empty

_TRUE = {"true", "1", "yes", "y", "on"}


def is_true(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE if value is not None else False


def rule_holds(rule: RequiredRule, fields: Mapping[str, Any]) -> bool:
    value = get_path(fields, rule.field)
    if rule.check == "true":
        return is_true(value)
    if rule.check == "one_of":
        # A list, not a set: lookups and subforms canonicalise to unhashable dicts and lists.
        return canon(value) in [canon(v) for v in rule.values]
    return not is_empty(value)


def check_required(
    flow: FlowConfig, side: Side, fields: Mapping[str, Any], *, bound: bool = False
) -> tuple[list[str], list[str]]:
    """The messages of the failed rules for a record read on ``side``: (failures, skips)."""
    failures: list[str] = []
    skips: list[str] = []
    for rule in flow.required:
        if rule.side is not side or (bound and rule.unbound_only):
            continue
        if not all(condition_holds(c, get_path(fields, c.field)) for c in rule.when):
            continue
        if not rule_holds(rule, fields):
            (skips if rule.skip else failures).append(rule.message)
    return failures, skips


def in_view(views: Sequence[ViewFilter], side: Side, fields: Mapping[str, Any]) -> bool:
    """Whether a record read on ``side`` is inside the flow's criteria views.

    A custom view the engine has not resolved into conditions (see ``engine.views``) holds no
    condition here: the planner is pure and cannot ask the CRM.
    """
    for view in views:
        if view.side is not side:
            continue
        for name, wanted in view.equals.items():
            value = get_path(fields, name)
            if isinstance(wanted, bool):
                if is_true(value) is not wanted:
                    return False
            elif canon(value) != canon(wanted):
                return False
        for condition in view.conditions:
            if not condition_holds(condition, get_path(fields, condition.field)):
                return False
    return True


def _text(value: Any) -> str:
    """Zoho compares text without regard to case."""
    if isinstance(value, Mapping):  # a lookup compares by its name
        value = value.get("name", value.get("id"))
    return "" if value is None else str(value).casefold()


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool):
        return is_true(value) is wanted
    if isinstance(value, Mapping):
        return _text(value) == _text(wanted) or canon(value.get("id")) == canon(wanted)
    if isinstance(value, str) or isinstance(wanted, str):
        return _text(value).strip() == _text(wanted).strip()
    return bool(canon(value) == canon(wanted))


def _blank(value: Any) -> bool:
    """Empty as a person sees it: spaces alone are no value."""
    return is_empty(value) or (isinstance(value, str) and not value.strip())


def condition_holds(condition: ViewCondition, value: Any) -> bool:
    """Whether one field's ``value`` meets ``condition``."""
    op, wanted = condition.operator, condition.value
    values = list(value) if isinstance(value, list) else [value]
    if op is ViewOperator.IS_EMPTY:
        return _blank(value)
    if op is ViewOperator.IS_NOT_EMPTY:
        return not _blank(value)
    if op is ViewOperator.EQUALS:
        return any(_same(v, wanted) for v in values)
    if op is ViewOperator.NOT_EQUAL:
        return not any(_same(v, wanted) for v in values)
    if op is ViewOperator.IN:
        return any(_same(v, w) for v in values for w in wanted)
    if op is ViewOperator.NOT_IN:
        return not any(_same(v, w) for v in values for w in wanted)
    needle = _text(wanted)
    texts = [_text(v) for v in values]
    if op is ViewOperator.CONTAINS:
        return any(needle in t for t in texts)
    if op is ViewOperator.NOT_CONTAINS:
        return not any(needle in t for t in texts)
    if op is ViewOperator.STARTS_WITH:
        return any(t.startswith(needle) for t in texts)
    return any(t.endswith(needle) for t in texts)  # ENDS_WITH
