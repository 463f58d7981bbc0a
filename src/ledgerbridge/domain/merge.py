"""Three-way, field-level merge of a bound pair against the base snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledgerbridge.domain.config import ConflictPolicy
from ledgerbridge.domain.records import Record, Side


@dataclass(frozen=True, slots=True)
class Conflict:
    """Both sides changed one field to different values; ``chosen`` says whose value won."""

    key: str
    crm_value: Any
    books_value: Any
    base_value: Any
    chosen: Side


@dataclass(frozen=True, slots=True)
class MergeResult:
    base: dict[str, Any]  # the new agreed values
    to_crm: tuple[str, ...]  # keys whose new value must be written to the CRM
    to_books: tuple[str, ...]
    conflicts: tuple[Conflict, ...]


def winner(policy: ConflictPolicy, crm: Record, books: Record, first: Side) -> Side:
    if policy is ConflictPolicy.CRM_WINS:
        return Side.CRM
    if policy is ConflictPolicy.BOOKS_WINS:
        return Side.BOOKS
    if crm.modified_at == books.modified_at:
        return first
    return Side.CRM if crm.modified_at > books.modified_at else Side.BOOKS


def merge(
    base: Mapping[str, Any],
    crm_values: Mapping[str, Any],
    books_values: Mapping[str, Any],
    *,
    keys: list[str],
    receives_crm: set[str],
    receives_books: set[str],
    on_conflict: Side,
) -> MergeResult:
    """Merge the values each side sends against ``base``.

    ``crm_values``/``books_values`` hold only the fields a side changed and may send; a key
    missing from both keeps its base value. A key changed on both sides to different values is
    a conflict resolved in favour of ``on_conflict``.
    """
    new_base: dict[str, Any] = dict(base)
    to_crm: list[str] = []
    to_books: list[str] = []
    conflicts: list[Conflict] = []
    for key in keys:
        old = base.get(key)
        crm_new = crm_values.get(key, old)
        books_new = books_values.get(key, old)
        crm_changed = key in crm_values and crm_new != old
        books_changed = key in books_values and books_new != old
        if not crm_changed and not books_changed:
            continue
        if crm_changed and books_changed:
            if crm_new == books_new:
                new_base[key] = crm_new
                continue
            conflicts.append(Conflict(key, crm_new, books_new, old, on_conflict))
            source = on_conflict
        else:
            source = Side.CRM if crm_changed else Side.BOOKS
        value = crm_new if source is Side.CRM else books_new
        new_base[key] = value
        if source is Side.CRM and key in receives_books:
            to_books.append(key)
        elif source is Side.BOOKS and key in receives_crm:
            to_crm.append(key)
    return MergeResult(new_base, tuple(to_crm), tuple(to_books), tuple(conflicts))
