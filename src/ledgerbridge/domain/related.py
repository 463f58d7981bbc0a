"""Related children gathered under their parent: an account's contacts, a vendor's contacts.

Pure. The engine reads the children; this module decides which one is primary, which are
others, which are left out (and why), and puts the result on the parent record as a field the
flow's rules map like any other (``@contacts.primary.Email`` -> ``EmailAddress``). The notes
it adds ride along with the parent's run item, so nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledgerbridge.domain.config import RelatedConfig
from ledgerbridge.domain.paths import get_path
from ledgerbridge.domain.rules import is_true, rule_holds

# Notes a person should read, kept on an enriched record; the planner adds them to the item.
NOTES = "@notes"
# On each child of ``@<name>.all``: whether it is the one that stands as primary.
PRIMARY = "@primary"


def related_key(rel: RelatedConfig) -> str:
    """The field of the parent record that holds its gathered children."""
    return f"@{rel.name}"


def parent_id(rel: RelatedConfig, child: Mapping[str, Any]) -> str | None:
    """The id the child's parent lookup points at (``{"id": ..., "name": ...}`` or a bare id)."""
    value = get_path(child, rel.parent_field)
    if isinstance(value, Mapping):
        value = value.get("id")
    if isinstance(value, str | int) and str(value).strip():
        return str(value).strip()
    return None


def child_problems(rel: RelatedConfig, child: Mapping[str, Any]) -> list[str]:
    """Why a child cannot sync: its required rules' messages (empty when it can)."""
    return [r.message for r in rel.required if not rule_holds(r, child)]


def _name(child: Mapping[str, Any]) -> str:
    parts = [str(child.get(k) or "").strip() for k in ("First_Name", "Last_Name")]
    text = " ".join(p for p in parts if p) or str(child.get("Full_Name") or "").strip()
    return f"{text} ({child.get('id')})" if text else str(child.get("id"))


def _order(child: Mapping[str, Any]) -> tuple[str, str]:
    # Oldest first, so the order (and so the Xero ContactPersons) is stable run to run.
    return (str(child.get("Created_Time") or ""), str(child.get("id") or ""))


@dataclass(frozen=True, slots=True)
class Gathered:
    """A parent's children as the flow maps them, plus notes for the parent's run item."""

    value: dict[str, Any]
    notes: tuple[str, ...]


def gather(
    rel: RelatedConfig, parent_label: str, children: Sequence[Mapping[str, Any]]
) -> Gathered:
    """The ``@<name>`` value of a parent with these children, and what a person should know."""
    notes: list[str] = []
    usable = sorted(
        (c for c in children if not child_problems(rel, c)),
        key=_order,
    )
    noun = rel.crm_module
    primaries = [c for c in usable if rel.primary_field and is_true(c.get(rel.primary_field))]
    if len(primaries) > 1:
        notes.append(
            f"{parent_label} has {len(primaries)} primary {noun} "
            f"({', '.join(_name(c) for c in primaries)}); the first fills the contact's name "
            f"and e-mail: untick {rel.primary_field} on the others"
        )
    primary: Mapping[str, Any] | None = None
    if primaries:
        primary = primaries[0]
    elif usable:
        # The earliest stands in, so the contact has a name and an e-mail; a person is told.
        primary = usable[0]
        if len(usable) > 1:
            notes.append(
                f"{parent_label} has {len(usable)} {noun} and none is marked "
                f"{rel.primary_field or 'primary'}: the earliest, {_name(primary)}, fills the "
                f"contact's name and e-mail; tick {rel.primary_field} on the right one"
            )
    others = [c for c in usable if c is not primary]
    if rel.max_others is not None and len(others) > rel.max_others:
        past = others[rel.max_others :]
        notes.append(
            f"only {rel.max_others} {noun} fit besides the primary one; not sent: "
            + ", ".join(_name(c) for c in past)
        )
        others = others[: rel.max_others]
    keep = ("id", *rel.fields)

    def pick(child: Mapping[str, Any]) -> dict[str, Any]:
        return {k: child.get(k) for k in keep}

    # ``all``: the primary first, then the others, each flagged: a side that keeps every
    # person in one list (Zoho Books' contact persons) gets exactly one primary.
    everyone = [{**pick(primary), PRIMARY: True}] if primary is not None else []
    everyone.extend({**pick(c), PRIMARY: False} for c in others)
    value: dict[str, Any] = {
        "primary": pick(primary) if primary is not None else None,
        "others": [pick(c) for c in others],
        "all": everyone,
    }
    return Gathered(value, tuple(notes))


def enrich(data: Mapping[str, Any], gathered: Mapping[str, Gathered]) -> dict[str, Any]:
    """The parent's fields with each relation's children and the notes about them."""
    out = dict(data)
    notes: list[str] = list(out.get(NOTES) or ())
    for key, g in gathered.items():
        out[key] = g.value
        notes.extend(g.notes)
    if notes:
        out[NOTES] = notes
    else:
        out.pop(NOTES, None)
    return out
