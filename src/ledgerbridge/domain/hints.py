"""What a person can do about a failed record: failures sorted into kinds, each with a fix.

A run item's reason says what went wrong with one record; a summary of many runs needs the
reasons grouped (a hundred invoices waiting for the same product are one problem) and one hint
per group that says where to make the fix.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ledgerbridge.domain.runs import Outcome, RunItem


class FailureKind(enum.StrEnum):
    REQUIRED_FIELD = "required_field"  # the flow's own rules refused the source record
    WAITING_FOR_DEPENDENCY = "waiting_for_dependency"  # a record it refers to is not synced
    DUPLICATE = "duplicate"  # the target already holds a record with the same unique value
    TARGET_MANDATORY = "target_mandatory"  # the target needs a field the flow does not fill
    AMBIGUOUS_MATCH = "ambiguous_match"  # more than one possible partner
    TARGET_REFUSED = "target_refused"  # any other refusal of the target API
    OTHER = "other"


_MISSING_REFERENCE = re.compile(r"^it refers to (?P<side>\S+) record \S+ of flow (?P<flow>\S+),")
_REQUIRED_FIELD = re.compile(r"\bhas no (?P<field>[A-Z][A-Za-z_]+)\b")


def classify(reason: str, detail: Mapping[str, Any] | None = None) -> FailureKind:
    """The kind of one failure, from the engine's reason and the target's error detail."""
    code = str((detail or {}).get("code") or "")
    if code == "duplicate":
        return FailureKind.DUPLICATE
    if code in ("mandatory_missing", "required"):
        return FailureKind.TARGET_MANDATORY
    if _MISSING_REFERENCE.match(reason):
        return FailureKind.WAITING_FOR_DEPENDENCY
    lowered = reason.casefold()
    if "ambiguous" in lowered or "more than one" in lowered:
        return FailureKind.AMBIGUOUS_MATCH
    if lowered.startswith("the crm refused") or "refused it" in lowered:
        if "required field not found" in lowered or "mandatory" in lowered:
            return FailureKind.TARGET_MANDATORY
        if "duplicate" in lowered or "already" in lowered:
            return FailureKind.DUPLICATE
        return FailureKind.TARGET_REFUSED
    if "already assigned" in lowered or "already exists" in lowered:
        return FailureKind.DUPLICATE
    if _REQUIRED_FIELD.search(reason) or " is not marked " in reason:
        return FailureKind.REQUIRED_FIELD
    return FailureKind.OTHER


def problem(reason: str, detail: Mapping[str, Any] | None = None) -> str:
    """The reason with what differs record by record taken out, so equal problems group."""
    match = _MISSING_REFERENCE.match(reason)
    if match:
        return (
            f"it refers to a {match['side']} record of flow {match['flow']} that is not synced yet"
        )
    return reason


def fix_hint(kind: FailureKind, reason: str, detail: Mapping[str, Any] | None = None) -> str:
    """How to fix one kind of failure; the next sync picks the fixed records up by itself."""
    field = str((detail or {}).get("field") or "")
    if kind is FailureKind.REQUIRED_FIELD:
        found = _REQUIRED_FIELD.search(reason)
        named = field or (found["field"] if found else "")
        what = f"fill in {named}" if named else "fix the field the reason names"
        return (
            f"{what} on the source record as the reason says (after the colon); "
            "the next sync picks the record up"
        )
    if kind is FailureKind.WAITING_FOR_DEPENDENCY:
        match = _MISSING_REFERENCE.match(reason)
        flow = match["flow"] if match else "the other"
        return (
            f"fix the failures of flow {flow} first; records that refer to them follow at the "
            "next sync with no further step"
        )
    if kind is FailureKind.DUPLICATE:
        on = f" ({field})" if field else ""
        return (
            f"another record already holds this unique value{on}: rename or recode one of the "
            "two, or, if they are the same thing, bind them by hand so they are kept in step"
        )
    if kind is FailureKind.TARGET_MANDATORY:
        on = f" {field}" if field else " the field the reason names"
        return (
            f"the target requires{on}, which the flow does not fill from this side: add a field "
            "rule for it (ledgerbridge integration export, edit, import --replace) or make the "
            "flow one-way"
        )
    if kind is FailureKind.AMBIGUOUS_MATCH:
        return (
            "more than one record could be its partner: make the matching values (e-mail, "
            "name, code) unique on the accounting side, or bind the right one by hand"
        )
    if kind is FailureKind.TARGET_REFUSED:
        return "correct the value the target refused (named in the reason), then sync again"
    return "see the record's run item (ledgerbridge history INTEGRATION --run N) for details"


@dataclass(frozen=True, slots=True)
class FailureGroup:
    """Failures of one flow with the same problem: how many, an example, and the fix."""

    flow: str
    kind: FailureKind
    problem: str
    count: int
    example: str
    hint: str


def top_failures(items: Iterable[RunItem], top: int = 5) -> list[FailureGroup]:
    """The most frequent problems among failed items, most frequent first, each with a fix."""
    failed = [i for i in items if i.outcome is Outcome.FAILED]
    keyed = [(i.flow, problem(i.reason, i.detail)) for i in failed]
    counts = Counter(keyed)
    groups = []
    for (flow, text), n in counts.most_common(top):
        first = next(i for i, k in zip(failed, keyed, strict=True) if k == (flow, text))
        kind = classify(first.reason, first.detail)
        groups.append(
            FailureGroup(
                flow=flow,
                kind=kind,
                problem=text,
                count=n,
                example=first.label or first.record_id,
                hint=fix_hint(kind, first.reason, first.detail),
            )
        )
    return groups
