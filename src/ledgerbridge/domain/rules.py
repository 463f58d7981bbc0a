"""Required-field rules and views: which records may sync, and why not."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ledgerbridge.domain.config import FlowConfig, RequiredRule, ViewFilter
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
    flow: FlowConfig, side: Side, fields: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    """The messages of the failed rules for a record read on ``side``: (failures, skips)."""
    failures: list[str] = []
    skips: list[str] = []
    for rule in flow.required:
        if rule.side is side and not rule_holds(rule, fields):
            (skips if rule.skip else failures).append(rule.message)
    return failures, skips


def in_view(views: Sequence[ViewFilter], side: Side, fields: Mapping[str, Any]) -> bool:
    """Whether a record read on ``side`` is inside the flow's criteria views."""
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
    return True
