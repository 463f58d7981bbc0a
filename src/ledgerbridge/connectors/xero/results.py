"""Per-element write answers (``summarizeErrors=false``) as ``WriteResult`` values."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from ledgerbridge.connectors.xero.modules import ModuleSpec
from ledgerbridge.connectors.xero.values import to_record
from ledgerbridge.domain.records import WriteError, WriteResult

Operation = Literal["create", "update"]

_NOUNS = {
    "Contacts": "contact",
    "Items": "item",
    "Invoices": "invoice",
    "PurchaseOrders": "purchase order",
}
# Xero's own words, most telling first; the first rule any message matches decides the code.
_CODES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "duplicate",
        re.compile(
            r"already assigned to another|must be unique|already exists|is already in use", re.I
        ),
    ),
    ("not_found", re.compile(r"could not be found|cannot be found|does not exist", re.I)),
    (
        "mandatory_missing",
        re.compile(r"must be specified|is required|must be supplied|cannot be (empty|blank)", re.I),
    ),
    (
        "conflict",
        re.compile(
            r"cannot be edited|not of valid status|status cannot be changed|cannot be changed",
            re.I,
        ),
    ),
)
_FIELDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^The (\w+) field\b"), r"\1"),
    (re.compile(r"contact name", re.I), "Name"),
    (re.compile(r"email address", re.I), "EmailAddress"),
    (re.compile(r"Price List Item with Code|^Item code", re.I), "Code"),
    (re.compile(r"^Invoice #", re.I), "InvoiceNumber"),
    (re.compile(r"^Order number", re.I), "PurchaseOrderNumber"),
    (re.compile(r"^A Contact must be specified|^Contact could not be found", re.I), "Contact"),
    (re.compile(r"ContactStatus", re.I), "ContactStatus"),
    (re.compile(r"Branding theme", re.I), "BrandingThemeID"),
    (re.compile(r"LineAmountTypes", re.I), "LineAmountTypes"),
    (re.compile(r"Account code", re.I), "LineItems"),
    (re.compile(r"^Invoice Type|The Type of an invoice", re.I), "Type"),
)


def messages(element: Mapping[str, Any]) -> list[str]:
    found = []
    for error in element.get("ValidationErrors") or []:
        if isinstance(error, Mapping) and error.get("Message"):
            found.append(str(error["Message"]))
    return found


def _field_of(message: str) -> str | None:
    for pattern, name in _FIELDS:
        match = pattern.search(message)
        if match:
            return match.expand(name)
    return None


def classify(spec: ModuleSpec, texts: Sequence[str], operation: Operation) -> WriteError:
    """Our code for Xero's messages; the message users read is Xero's own, all of it."""
    message = "; ".join(texts) or "Xero refused the record without a reason"
    noun = _NOUNS.get(spec.name, "")
    for code, pattern in _CODES:
        for text in texts:
            if not pattern.search(text):
                continue
            if code == "not_found" and not (
                operation == "update" and text.lower().startswith(noun)
            ):
                # A create naming a missing contact or theme is a bad value, not a missing target.
                return WriteError("invalid", message, _field_of(text))
            field = _field_of(text)
            if code == "duplicate" and field == "Name" and spec.name == "Contacts":
                # The one clash a person must resolve: say how.
                message += (
                    " Xero keeps contact names unique among active contacts: rename one of "
                    "them, or, if they are the same business, link them with `ledgerbridge "
                    "fetch` (a customer and a supplier of one name cannot both be kept apart)"
                )
            return WriteError(code, message, field)
    return WriteError(
        "invalid" if texts else "other", message, _field_of(texts[0]) if texts else None
    )


def element_result(
    spec: ModuleSpec,
    ref: str,
    element: Mapping[str, Any],
    operation: Operation,
    answered_at: datetime,
) -> WriteResult:
    texts = messages(element)
    if texts or element.get("StatusAttributeString") == "ERROR" or not element.get(spec.id_field):
        return WriteResult(ref=ref, ok=False, error=classify(spec, texts, operation))
    record = to_record(spec, element, answered_at)
    return WriteResult(ref=ref, ok=True, id=record.id, record=record)


def whole_call_failure(refs: Sequence[str], message: str) -> list[WriteResult]:
    """Xero refused the request as a whole (bad JSON, a reused idempotency key, a size limit)."""
    error = WriteError("other", message or "Xero refused the batch without a reason")
    return [WriteResult(ref=ref, ok=False, error=error) for ref in refs]
