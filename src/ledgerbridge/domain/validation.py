"""Checks a flow's mapping against both systems' field lists before it is saved.

Pure: a flow and the two field lists in, a list of problems out. Each problem names the flow,
the side and the field, and says how to fix it. ``None`` for a field list means that system's
fields are not known (a schemaless store): nothing is checked against it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledgerbridge.domain.config import (
    ComputedTransform,
    DefaultTransform,
    Direction,
    FieldRule,
    FlowConfig,
    LookupTransform,
    RenameTransform,
    ValueMapTransform,
)
from ledgerbridge.domain.records import FieldInfo, OrgInfo, Side

SIDE_NAME = {Side.CRM: "CRM", Side.BOOKS: "accounting"}
# Fields every record has, whatever the metadata lists.
_ALWAYS = frozenset({"id", "@id"})
_TEMPLATE = re.compile(r"{([^{}]+)}")

# Field types by what their values are; a rename between two families is a type mismatch.
_FAMILY = {
    "text": "text",
    "email": "text",
    "phone": "text",
    "website": "text",
    "textarea": "text",
    "picklist": "text",
    "number": "number",
    "decimal": "number",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
    "lookup": "lookup",
    "subform": "list",
    "address": "address",
}


class Severity(enum.StrEnum):
    ERROR = "error"  # the flow cannot sync as configured: it is not saved
    WARNING = "warning"  # it may sync, but some values may be refused or changed


@dataclass(frozen=True, slots=True)
class Problem:
    flow: str
    side: Side | None
    field: str | None
    message: str  # says what is wrong and how to fix it
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = f"flow {self.flow}"
        if self.side is not None and self.field:
            where += f", {SIDE_NAME[self.side]} field {self.field}"
        return f"{where}: {self.message}"


def family(info: FieldInfo) -> str:
    return _FAMILY.get(info.type, info.type)


def _root(path: str) -> str:
    """The field a dotted path starts at: ``SalesDetails.UnitPrice`` -> ``SalesDetails``."""
    return path.split(".", 1)[0]


class _Check:
    def __init__(
        self,
        flow: FlowConfig,
        crm: Sequence[FieldInfo] | None,
        books: Sequence[FieldInfo] | None,
    ) -> None:
        self.flow = flow
        self.fields = {
            Side.CRM: None if crm is None else {f.name: f for f in crm},
            Side.BOOKS: None if books is None else {f.name: f for f in books},
        }
        self.problems: list[Problem] = []

    def add(
        self,
        side: Side | None,
        field: str | None,
        message: str,
        severity: Severity = Severity.ERROR,
    ) -> None:
        self.problems.append(Problem(self.flow.name, side, field, message, severity))

    def module(self, side: Side) -> str:
        return self.flow.crm_module if side is Side.CRM else self.flow.books_module

    def info(self, side: Side, path: str) -> FieldInfo | None:
        known = self.fields[side]
        if known is None:
            return None
        return known.get(_root(path))

    def exists(self, side: Side, path: str, use: str) -> FieldInfo | None:
        """The field's metadata; a problem when the side's fields are known and it is not."""
        known = self.fields[side]
        # ``@name`` fields are the engine's own (an account's gathered ``@contacts``).
        if known is None or path in _ALWAYS or _root(path) in _ALWAYS or path.startswith("@"):
            return None
        found = known.get(_root(path))
        if found is None:
            close = [n for n in known if n.casefold() == path.casefold()]
            hint = (
                f"did you mean {close[0]}?"
                if close
                else f"pick a field of {SIDE_NAME[side]} {self.module(side)} or create a "
                "custom field of that name"
            )
            self.add(side, path, f"{use} {path} is not a field of {self.module(side)}; {hint}")
        return found

    # -- the checks ----------------------------------------------------------------------------

    def run(self) -> list[Problem]:
        flow = self.flow
        for side in Side:
            known = self.fields[side]
            if known is not None and not known:
                self.add(
                    side,
                    None,
                    f"the {SIDE_NAME[side]} system has no module {self.module(side)} (or it has "
                    "no fields); check the module name",
                )
                return self.problems
        for rule in flow.fields:
            self.rule(rule)
        for key in flow.match_keys:
            self.exists(Side.CRM, key.crm, "match key")
            self.exists(Side.BOOKS, key.books, "match key")
        for req in flow.required:
            self.exists(req.side, req.field, "required rule on")
        for wb in flow.write_back:
            info = self.exists(wb.to, wb.field, "write-back field")
            if info is not None and info.read_only:
                self.add(
                    wb.to,
                    wb.field,
                    f"write-back field {wb.field} is read-only; use a custom text field",
                )
            if wb.source_field != "@id":
                self.exists(wb.to.other, wb.source_field, "write-back source")
        for view in flow.views:
            for name in view.equals:
                self.exists(view.side, name, "view field")
            for condition in view.conditions:
                self.exists(view.side, condition.field, "view field")
        for side in Side:
            if flow.direction.writes(side):
                self.required_targets(side)
        return self.problems

    def rule(self, rule: FieldRule) -> None:
        t = rule.transform
        for side in Side:
            path = rule.crm if side is Side.CRM else rule.books
            if path is None:
                continue
            writes = rule.direction.reads(side.other) and self.flow.direction.writes(side)
            info = self.exists(side, path, "mapped field")
            if info is not None and writes and info.read_only and not rule.children:
                self.add(
                    side,
                    path,
                    f"{path} is read-only in the {SIDE_NAME[side]} system, so it cannot be "
                    f"written; set the rule's direction to "
                    f"{'books_to_crm' if side is Side.BOOKS else 'crm_to_books'}",
                )
        if isinstance(t, ComputedTransform):
            source = Side.CRM if rule.direction is Direction.CRM_TO_BOOKS else Side.BOOKS
            for name in _TEMPLATE.findall(t.template):
                self.exists(source, name.strip(), "template field")
        if rule.crm is None or rule.books is None:
            return
        crm, books = self.info(Side.CRM, rule.crm), self.info(Side.BOOKS, rule.books)
        if crm is None or books is None or "." in rule.crm or "." in rule.books:
            return
        if isinstance(t, RenameTransform | DefaultTransform) and not rule.children:
            self.types(rule, crm, books)
        if isinstance(t, ValueMapTransform):
            self.value_map(rule, t, crm, books)
        if isinstance(t, LookupTransform) and "lookup" not in (family(crm), family(books)):
            self.add(
                Side.CRM,
                rule.crm,
                f"a lookup to flow {t.flow} needs a lookup field on one side; {rule.crm} is "
                f"{crm.type} and {rule.books} is {books.type}",
            )

    def types(self, rule: FieldRule, crm: FieldInfo, books: FieldInfo) -> None:
        pairs = []
        if rule.direction.writes(Side.BOOKS):
            pairs.append((Side.CRM, crm, Side.BOOKS, books))
        if rule.direction.writes(Side.CRM):
            pairs.append((Side.BOOKS, books, Side.CRM, crm))
        for source_side, source, target_side, target in pairs:
            have, want = family(source), family(target)
            if have == want or (want == "text" and have in ("number", "date", "datetime")):
                # Any plain value can be written as text.
                if target.picklist and not source.picklist and target.type == "picklist":
                    self.add(
                        target_side,
                        target.name,
                        f"{target.name} is a picklist ({', '.join(target.picklist[:6])}); "
                        f"values of {source.name} outside it are refused: add a value_map",
                        Severity.WARNING,
                    )
                continue
            if (have == "date" and want == "datetime") or (have == "datetime" and want == "date"):
                continue
            self.add(
                target_side,
                target.name,
                f"{target.name} is {target.type} but {SIDE_NAME[source_side]} field "
                f"{source.name} is {source.type}; map a {target.type} field to it, or add a "
                "value_map or make the rule one-way",
            )

    def value_map(
        self, rule: FieldRule, t: ValueMapTransform, crm: FieldInfo, books: FieldInfo
    ) -> None:
        checks = ((Side.CRM, crm, list(t.map)), (Side.BOOKS, books, list(t.map.values())))
        for side, info, values in checks:
            if not info.picklist:
                continue
            allowed = {str(v).casefold() for v in info.picklist}
            for value in values:
                if str(value).casefold() not in allowed:
                    self.add(
                        side,
                        info.name,
                        f"the value map uses {value!r}, which is not one of {info.name}'s "
                        f"values ({', '.join(info.picklist[:8])}); fix the map",
                    )

    def required_targets(self, side: Side) -> None:
        known = self.fields[side]
        if known is None:
            return
        written = {
            _root(path)
            for rule in self.flow.fields
            if rule.direction.writes(side)
            for path in ([rule.crm] if side is Side.CRM else [rule.books])
            if path is not None
        }
        for info in known.values():
            if info.required and not info.read_only and info.name not in written:
                other = "CRM" if side is Side.BOOKS else "accounting"
                self.add(
                    side,
                    info.name,
                    f"{self.module(side)} needs {info.name} on every record this flow creates, "
                    f"and no rule writes it; map a {other} field to it (or give it a constant)",
                )


def validate_flow(
    flow: FlowConfig,
    crm_fields: Sequence[FieldInfo] | None,
    books_fields: Sequence[FieldInfo] | None,
) -> list[Problem]:
    """Every problem of ``flow``'s mapping against the two systems' fields."""
    return _Check(flow, crm_fields, books_fields).run()


def currency_mismatch(crm: OrgInfo, books: OrgInfo) -> str | None:
    """Why a multi-currency CRM cannot sync with this organisation, or ``None`` when it can.

    Amounts in a multi-currency CRM are kept against its base currency; an organisation with
    another base would book every amount in the wrong currency.
    """
    if not crm.multi_currency:
        return None
    have, want = crm.base_currency.upper(), books.base_currency.upper()
    if have == want:
        return None
    return (
        f"the CRM uses several currencies with base currency {have}, but the accounting "
        f"organisation {books.name or ''} has base currency {want}; the base currencies must "
        "match, so this integration does not start (connect the organisation whose base "
        f"currency is {have})"
    )


def second_organisation_problems(
    flows: Iterable[FlowConfig], first_books: str, this_books: str, first_write_backs: set[str]
) -> list[Problem]:
    """A CRM's second and later accounting organisations may only receive CRM records.

    Two organisations writing to one CRM record would overwrite each other's values, and ids
    written back to one field would replace each other.
    """
    out: list[Problem] = []
    for flow in flows:
        if not flow.enabled:
            continue
        if flow.direction.writes(Side.CRM):
            out.append(
                Problem(
                    flow.name,
                    None,
                    None,
                    f"connection {first_books} is this CRM's first accounting organisation "
                    f"and only the first may write to the CRM; {this_books} is a later one, "
                    "so set the flow's direction to crm_to_books (recipe option "
                    "organization=2 or higher does)",
                )
            )
        for wb in flow.write_back:
            if wb.to is Side.CRM and f"{flow.crm_module}.{wb.field}" in first_write_backs:
                out.append(
                    Problem(
                        flow.name,
                        Side.CRM,
                        wb.field,
                        f"{first_books} already writes its ids back to {wb.field}; give this "
                        "organisation its own field (recipe option organization=N writes to "
                        "Books_ID_N)",
                    )
                )
    return out


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]


__all__ = [
    "Problem",
    "Severity",
    "currency_mismatch",
    "errors",
    "second_organisation_problems",
    "validate_flow",
]
