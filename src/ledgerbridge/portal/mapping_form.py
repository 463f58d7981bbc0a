"""The field mapping editor's form: a flow's rules as rows, and rows back into a flow.

Pure: no I/O. The form works without JavaScript: every rule is a row of plain inputs named
``r{i}-...``; value maps are pairs ``r{i}-m{j}-...`` plus one empty pair to add; one empty rule
row (``new-...``) adds a rule. Problems are keyed by the input they belong to, so the page
shows each next to its field; nothing is built while there are any.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pydantic

from ledgerbridge.domain.config import (
    Direction,
    FieldRule,
    FlowConfig,
    RenameTransform,
    ValueMapTransform,
)

DIRECTIONS = {
    Direction.BOTH.value: "both ways",
    Direction.CRM_TO_BOOKS.value: "CRM → accounting",
    Direction.BOOKS_TO_CRM.value: "accounting → CRM",
}
NEW_KINDS = {"rename": "same value", "value_map": "value map"}
TOP = "rules"  # errors about the flow as a whole


@dataclass
class Pair:
    crm: str
    books: str
    remove: bool = False


@dataclass
class Row:
    """One rule as the form shows it; ``index`` is its place in the stored flow (None: new)."""

    index: int | None
    crm: str
    books: str
    direction: str
    kind: str
    pairs: list[Pair] = field(default_factory=list)
    new_pair: Pair = field(default_factory=lambda: Pair("", ""))
    remove: bool = False
    children: int = 0

    @property
    def prefix(self) -> str:
        return "new" if self.index is None else f"r{self.index}"

    @property
    def editable_map(self) -> bool:
        return self.kind == "value_map"


def version(flow: FlowConfig) -> str:
    """A short fingerprint of the stored flow: a form made from an older one is refused."""
    text = json.dumps(flow.model_dump(mode="json"), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def rows_of(flow: FlowConfig) -> list[Row]:
    rows: list[Row] = []
    for i, rule in enumerate(flow.fields):
        t = rule.transform
        pairs = (
            [Pair(_text(k), _text(v)) for k, v in t.map.items()]
            if isinstance(t, ValueMapTransform)
            else []
        )
        rows.append(
            Row(
                index=i,
                crm=rule.crm or "",
                books=rule.books or "",
                direction=rule.direction.value,
                kind=t.kind,
                pairs=pairs,
                children=len(rule.children),
            )
        )
    return rows


def blank_row() -> Row:
    return Row(index=None, crm="", books="", direction=Direction.BOTH.value, kind="rename")


def _str(form: Mapping[str, Any], key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _checked(form: Mapping[str, Any], key: str) -> bool:
    return form.get(key) in ("on", "1", "true")


def _message(exc: pydantic.ValidationError) -> str:
    parts = []
    for err in exc.errors():
        msg = str(err.get("msg", "not valid"))
        parts.append(msg.removeprefix("Value error, "))
    return "; ".join(parts)


@dataclass
class Parsed:
    rows: list[Row]
    new: Row
    errors: dict[str, str]
    flow: FlowConfig | None = None


def parse(flow: FlowConfig, form: Mapping[str, Any]) -> Parsed:
    """The rows the form holds and, when they make a valid flow, that flow."""
    errors: dict[str, str] = {}
    if _str(form, "version") != version(flow):
        errors[TOP] = (
            "The mapping was changed elsewhere since this page was loaded; reload it and make "
            "your changes again."
        )
    stored = rows_of(flow)
    rows: list[Row] = []
    for row in stored:
        p = row.prefix
        got = Row(
            index=row.index,
            crm=_str(form, f"{p}-crm"),
            books=_str(form, f"{p}-books"),
            direction=_str(form, f"{p}-direction") or row.direction,
            kind=row.kind,
            remove=_checked(form, f"{p}-remove"),
            children=row.children,
        )
        if row.editable_map:
            for j in range(len(row.pairs)):
                got.pairs.append(
                    Pair(
                        _str(form, f"{p}-m{j}-crm"),
                        _str(form, f"{p}-m{j}-books"),
                        _checked(form, f"{p}-m{j}-remove"),
                    )
                )
            got.new_pair = Pair(_str(form, f"{p}-mnew-crm"), _str(form, f"{p}-mnew-books"))
        rows.append(got)
    new = Row(
        index=None,
        crm=_str(form, "new-crm"),
        books=_str(form, "new-books"),
        direction=_str(form, "new-direction") or Direction.BOTH.value,
        kind=_str(form, "new-kind") or "rename",
    )
    rules: list[FieldRule] = []
    for row, original in zip(rows, flow.fields, strict=True):
        if row.remove:
            continue
        rule = _rule(row, original, errors)
        if rule is not None:
            rules.append(rule)
    if new.crm or new.books:
        rule = _rule(new, None, errors)
        if rule is not None:
            rules.append(rule)
    if errors:
        return Parsed(rows, new, errors)
    try:
        built = flow.model_copy(update={"fields": tuple(rules)})
        # model_copy does not validate: a round trip through the model does.
        built = FlowConfig.model_validate(built.model_dump())
    except pydantic.ValidationError as exc:
        errors[TOP] = _message(exc)
        return Parsed(rows, new, errors)
    return Parsed(rows, new, errors, built)


def _rule(row: Row, original: FieldRule | None, errors: dict[str, str]) -> FieldRule | None:
    p = row.prefix
    if row.direction not in DIRECTIONS:
        errors[f"{p}-direction"] = "Choose a direction from the list."
        return None
    transform: Any
    if original is not None and not row.editable_map:
        transform = original.transform
    elif row.kind == "value_map":
        transform = _value_map(row, original, errors)
        if transform is None:
            return None
    elif row.kind == "rename":
        transform = RenameTransform()
    else:
        errors[f"{p}-kind"] = "Choose how the value is carried."
        return None
    try:
        return FieldRule(
            crm=row.crm or None,
            books=row.books or None,
            direction=Direction(row.direction),
            transform=transform,
            children=original.children if original is not None else (),
            max_items=original.max_items if original is not None else None,
        )
    except pydantic.ValidationError as exc:
        key = f"{p}-books" if not row.books and row.crm else f"{p}-crm"
        errors[key] = _message(exc)
        return None


def _value_map(
    row: Row, original: FieldRule | None, errors: dict[str, str]
) -> ValueMapTransform | None:
    p = row.prefix
    old = original.transform if original is not None else None
    old_map = old.map if isinstance(old, ValueMapTransform) else {}
    mapping: dict[str, Any] = {}
    pairs = [(j, pair) for j, pair in enumerate(row.pairs)]
    if row.new_pair.crm or row.new_pair.books:
        pairs.append((-1, row.new_pair))
    for j, pair in pairs:
        key = f"{p}-mnew" if j < 0 else f"{p}-m{j}"
        if pair.remove:
            continue
        if not pair.crm:
            errors[f"{key}-crm"] = "Give the CRM value."
            continue
        if pair.crm in mapping:
            errors[f"{key}-crm"] = f"The CRM value {pair.crm!r} is mapped twice."
            continue
        before = old_map.get(pair.crm)
        # Keep a stored number or flag as it was when its text was not changed.
        mapping[pair.crm] = (
            before if before is not None and _text(before) == pair.books else pair.books
        )
    if any(k.startswith(f"{p}-m") for k in errors):
        return None
    if isinstance(old, ValueMapTransform):
        return old.model_copy(update={"map": mapping})
    return ValueMapTransform(map=mapping)
