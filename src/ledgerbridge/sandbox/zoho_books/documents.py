"""Pure checks and builders for request bodies: text fields, contact persons, line items."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ledgerbridge.sandbox.zoho_books.errors import BooksError, invalid, missing
from ledgerbridge.sandbox.zoho_books.formats import cents, money_out, parse_date, to_money

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HUNDRED = Decimal(100)

NewId = Callable[[], str]


def text(data: Mapping[str, Any], name: str, *, limit: int = 500) -> str | None:
    """A trimmed string field; ``None`` when absent. Zoho Books trims surrounding spaces."""
    if name not in data or data[name] is None:
        return None
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise invalid(name)
    cleaned = str(value).strip()
    if len(cleaned) > limit:
        raise BooksError(2, f"{name} cannot exceed {limit} characters.")
    return cleaned


def email(data: Mapping[str, Any], name: str = "email") -> str | None:
    value = text(data, name, limit=100)
    if value and not _EMAIL.match(value):
        raise invalid(name)
    return value


def choice(data: Mapping[str, Any], name: str, allowed: Sequence[str]) -> str | None:
    value = text(data, name, limit=50)
    if value is None or value == "":
        return None
    if value not in allowed:
        raise invalid(name)
    return value


def money(data: Mapping[str, Any], name: str, *, default: Decimal | None = None) -> Decimal:
    if name not in data or data[name] is None or data[name] == "":
        if default is None:
            raise missing(f"{name} is mandatory.")
        return default
    try:
        value = to_money(data[name], field=name)
    except ValueError as exc:
        raise invalid(name) from exc
    if value < 0:
        raise invalid(name)
    return value


def iso_date(data: Mapping[str, Any], name: str, default: str) -> str:
    value = text(data, name, limit=20)
    if not value:
        return default
    try:
        return parse_date(value).isoformat()
    except ValueError as exc:
        raise invalid(name) from exc


def persons(
    raw: object, existing: Sequence[Mapping[str, Any]], new_id: NewId
) -> list[dict[str, Any]]:
    """The contact persons of a contact: the list sent replaces the stored one.

    Entries carrying a known ``contact_person_id`` keep it; when none is marked primary the
    first one becomes primary, as Zoho Books always has one primary person per contact.
    """
    if not isinstance(raw, list):
        raise invalid("contact_persons")
    known = {str(p["contact_person_id"]): p for p in existing}
    result: list[dict[str, Any]] = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise invalid("contact_persons")
        given_id = str(entry.get("contact_person_id") or "")
        base = dict(known[given_id]) if given_id in known else {}
        result.append(person(entry, base, given_id if given_id in known else new_id()))
    mark_primary(result, None)
    return result


def person(entry: Mapping[str, Any], base: Mapping[str, Any], person_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "contact_person_id": person_id,
        "salutation": "",
        "first_name": "",
        "last_name": "",
        "email": "",
        "phone": "",
        "mobile": "",
        "designation": "",
        "department": "",
        "is_primary_contact": False,
        **base,
    }
    for name in ("salutation", "first_name", "last_name", "phone", "mobile", "designation"):
        value = text(entry, name, limit=100)
        if value is not None:
            out[name] = value
    value = text(entry, "department", limit=100)
    if value is not None:
        out["department"] = value
    mail = email(entry)
    if mail is not None:
        out["email"] = mail
    if "is_primary_contact" in entry:
        out["is_primary_contact"] = bool(entry["is_primary_contact"])
    return out


def mark_primary(people: list[dict[str, Any]], primary_id: str | None) -> None:
    """Exactly one primary person when there is anyone: the given one, else the first flagged."""
    if not people:
        return
    if primary_id is None:
        flagged = [p for p in people if p.get("is_primary_contact")]
        primary_id = str((flagged or people)[0]["contact_person_id"])
    for p in people:
        p["is_primary_contact"] = p["contact_person_id"] == primary_id


def custom_fields(raw: object, existing: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Merge custom field values by ``api_name`` (or ``label``)."""
    if not isinstance(raw, list):
        raise invalid("custom_fields")
    merged = {str(f.get("api_name") or f.get("label")): dict(f) for f in existing}
    for entry in raw:
        if not isinstance(entry, dict) or not (entry.get("api_name") or entry.get("label")):
            raise invalid("custom_fields")
        key = str(entry.get("api_name") or entry.get("label"))
        merged[key] = {
            "api_name": str(entry.get("api_name") or key),
            "label": str(entry.get("label") or key),
            "value": entry.get("value"),
        }
    return list(merged.values())


def line_items(
    raw: object,
    *,
    item_lookup: Callable[[str], Mapping[str, Any] | None],
    tax_lookup: Callable[[str], Mapping[str, Any] | None],
    new_id: NewId,
    existing: Sequence[Mapping[str, Any]] = (),
) -> tuple[list[dict[str, Any]], Decimal, Decimal]:
    """Lines with their totals; ``discount`` is a percentage of rate x quantity.

    Returns (lines, sub_total, tax_total).
    """
    if not isinstance(raw, list) or not raw:
        raise missing("Please add at least one line item.")
    known = {str(line["line_item_id"]) for line in existing}
    lines: list[dict[str, Any]] = []
    sub_total = Decimal(0)
    tax_total = Decimal(0)
    for entry in raw:
        if not isinstance(entry, dict):
            raise invalid("line_items")
        item_id = text(entry, "item_id", limit=40) or ""
        item: Mapping[str, Any] = {}
        if item_id:
            found = item_lookup(item_id)
            if found is None:
                raise BooksError(1002, "Item does not exist.")
            item = found
        name = text(entry, "name", limit=200) or str(item.get("name", ""))
        description = text(entry, "description", limit=2000)
        if description is None:
            description = str(item.get("description", ""))
        if not name and not description:
            raise missing("Please enter the item name or description for every line item.")
        default_rate = Decimal(str(item.get("rate", 0)))
        rate = money(entry, "rate", default=default_rate)
        quantity = money(entry, "quantity", default=Decimal(1))
        discount = money(entry, "discount", default=Decimal(0))
        if discount > HUNDRED:
            raise invalid("discount")
        tax_id = text(entry, "tax_id", limit=40)
        if tax_id is None:
            tax_id = str(item.get("tax_id", ""))
        tax_percentage = Decimal(0)
        tax_name = ""
        if tax_id:
            tax = tax_lookup(tax_id)
            if tax is None:
                raise invalid("tax_id")
            tax_percentage = Decimal(str(tax["tax_percentage"]))
            tax_name = str(tax["tax_name"])
        item_total = cents(rate * quantity * (HUNDRED - discount) / HUNDRED)
        sub_total += item_total
        tax_total += cents(item_total * tax_percentage / HUNDRED)
        given_id = str(entry.get("line_item_id") or "")
        lines.append(
            {
                "line_item_id": given_id if given_id in known else new_id(),
                "item_id": item_id,
                "name": name,
                "description": description,
                "sku": str(item.get("sku", "")),
                "rate": money_out(rate),
                "quantity": float(quantity),
                "discount": float(discount),
                "tax_id": tax_id,
                "tax_name": tax_name,
                "tax_percentage": float(tax_percentage),
                "item_total": money_out(item_total),
            }
        )
    return lines, sub_total, tax_total
