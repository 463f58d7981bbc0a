"""Checking and shaping one written record against the layout, as Zoho CRM does per record.

Unknown fields and read-only fields are ignored (the real API drops them silently); wrong types,
unknown lookup ids and missing mandatory values become per-record errors with ``api_name`` and
``json_path``. Line items get their computed amounts and the order its totals.

Line items on update follow the real API: an item with an ``id`` changes that item, an item with
an ``id`` and ``_delete`` removes it, an item without an ``id`` is added, and items not sent stay.
A client that resends the whole list without ids therefore doubles it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ledgerbridge.sandbox.zoho_crm import fields as f

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TEXTUAL = frozenset({f.TEXT, f.TEXTAREA, f.PHONE, f.WEBSITE, f.PICKLIST})
_LINE_NUMBERS = ("Quantity", "List_Price", "Discount", "Tax")


@dataclass
class RecordError:
    """One per-record failure, in the wire shape ``{code, details, message, status}``."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "details": self.details,
            "message": self.message,
            "status": "error",
        }


def mandatory_missing(api_name: str, path: str) -> RecordError:
    return RecordError(
        "MANDATORY_NOT_FOUND", "required field not found", {"api_name": api_name, "json_path": path}
    )


def invalid(api_name: str, path: str, **extra: Any) -> RecordError:
    return RecordError(
        "INVALID_DATA", "invalid data", {"api_name": api_name, "json_path": path, **extra}
    )


def empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def lookup_id(value: Any) -> str | None:
    """The id inside a written lookup: ``{"id": ...}``, a bare id string or a JSON number."""
    raw = value.get("id") if isinstance(value, dict) else value
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, str) and raw.strip().isdigit():
        return raw.strip()
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


@dataclass
class Context:
    """What checking needs from the store: does a lookup target exist, new line item ids."""

    exists: Callable[[str, str], bool]
    product_price: Callable[[str], float | None]
    new_id: Callable[[], str]
    users: dict[str, dict[str, Any]]


class RecordChecker:
    """Checks one module's writes; ``check`` returns the stored changes or the errors."""

    def __init__(self, module: f.ModuleDef, context: Context) -> None:
        self.module = module
        self.context = context

    def check(
        self, raw: dict[str, Any], index: int, existing: dict[str, Any] | None
    ) -> tuple[dict[str, Any], list[RecordError]]:
        changes: dict[str, Any] = {}
        errors: list[RecordError] = []
        base = f"$.data[{index}]"
        for api_name, value in raw.items():
            fdef = self.module.fields.get(api_name)
            if fdef is None or fdef.read_only or api_name in ("id", "Created_By", "Modified_By"):
                continue
            path = f"{base}.{api_name}"
            if value is None:
                changes[api_name] = None
                continue
            if fdef.data_type == f.SUBFORM:
                items, item_errors = self._line_items(
                    value, path, (existing or {}).get(api_name) or []
                )
                errors.extend(item_errors)
                changes[api_name] = items
                continue
            converted, error = self._convert(fdef, value, path)
            if error is not None:
                errors.append(error)
            else:
                changes[api_name] = converted
        merged = {**(existing or {}), **changes}
        for api_name in self.module.mandatory:
            missing = (existing is None or api_name in raw) and empty(merged.get(api_name))
            path = f"{base}.{api_name}"
            if missing and not any(
                str(e.details.get("json_path", "")).startswith(path) for e in errors
            ):
                errors.append(mandatory_missing(api_name, path))
        if self.module.api_name == "Contacts" and (
            "First_Name" in changes or "Last_Name" in changes
        ):
            parts = [merged.get("First_Name"), merged.get("Last_Name")]
            changes["Full_Name"] = " ".join(str(p) for p in parts if p)
        if self.module.line_items and not errors:
            changes.update(self._totals({**merged, **changes}))
        return changes, errors

    def _convert(self, fdef: f.FieldDef, value: Any, path: str) -> tuple[Any, RecordError | None]:
        kind = fdef.data_type
        name = fdef.api_name
        if kind in _TEXTUAL or kind == f.EMAIL:
            if not isinstance(value, str):
                return None, invalid(name, path, expected_data_type=kind)
            if len(value) > fdef.length:
                return None, invalid(name, path, maximum_length=str(fdef.length))
            if kind == f.EMAIL and value and not _EMAIL.match(value.strip()):
                return None, invalid(name, path, expected_data_type=kind)
            return value, None
        if kind == f.BOOLEAN:
            if not isinstance(value, bool):
                return None, invalid(name, path, expected_data_type=kind)
            return value, None
        if kind == f.INTEGER:
            if isinstance(value, bool) or not isinstance(value, int):
                return None, invalid(name, path, expected_data_type=kind)
            return value, None
        if kind in (f.DOUBLE, f.CURRENCY):
            number = _number(value)
            if number is None:
                return None, invalid(name, path, expected_data_type=kind)
            return round(number, 2) if kind == f.CURRENCY else number, None
        if kind == f.DATE:
            try:
                return date.fromisoformat(str(value)).isoformat(), None
            except ValueError:
                return None, invalid(name, path, expected_data_type=kind)
        if kind == f.DATETIME:
            try:
                moment = datetime.fromisoformat(str(value))
            except ValueError:
                return None, invalid(name, path, expected_data_type=kind)
            if moment.tzinfo is None:
                return None, invalid(name, path, expected_data_type=kind)
            return moment.isoformat(timespec="seconds"), None
        if kind == f.LOOKUP:
            ident = lookup_id(value)
            target = fdef.lookup_module or ""
            if ident is None or not self.context.exists(target, ident):
                return None, invalid(name, path, expected_data_type="jsonobject")
            return {"id": ident}, None
        if kind == f.OWNERLOOKUP:
            ident = lookup_id(value)
            user = self.context.users.get(ident or "")
            if user is None:
                return None, invalid(name, path, expected_data_type="jsonobject")
            return dict(user), None
        return None, invalid(name, path)

    def _line_items(
        self, value: Any, path: str, current: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[RecordError]]:
        if not isinstance(value, list):
            return [], [invalid(path.rsplit(".", 1)[-1], path, expected_data_type="jsonarray")]
        errors: list[RecordError] = []
        by_id = {item["id"]: dict(item) for item in current}
        order = [item["id"] for item in current]
        for number, raw in enumerate(value):
            item_path = f"{path}[{number}]"
            if not isinstance(raw, dict):
                errors.append(invalid("Product_Name", item_path, expected_data_type="jsonobject"))
                continue
            ident = lookup_id(raw.get("id")) if raw.get("id") is not None else None
            if ident is not None and ident not in by_id:
                errors.append(invalid("id", f"{item_path}.id"))
                continue
            if ident is not None and "_delete" in raw:
                by_id.pop(ident)
                order.remove(ident)
                continue
            item = by_id.get(ident or "", {})
            item_errors = self._line_item(raw, item, item_path)
            if item_errors:
                errors.extend(item_errors)
                continue
            if ident is None:
                item["id"] = self.context.new_id()
                order.append(item["id"])
            by_id[item["id"]] = item
        return [by_id[ident] for ident in order], errors

    def _line_item(self, raw: dict[str, Any], item: dict[str, Any], path: str) -> list[RecordError]:
        errors: list[RecordError] = []
        if "Product_Name" in raw or "Product_Name" not in item:
            product = lookup_id(raw.get("Product_Name"))
            if raw.get("Product_Name") is None:
                return [mandatory_missing("Product_Name", f"{path}.Product_Name")]
            if product is None or not self.context.exists("Products", product):
                return [invalid("Product_Name", f"{path}.Product_Name")]
            item["Product_Name"] = {"id": product}
        for name in _LINE_NUMBERS:
            if name in raw and raw[name] is not None:
                number = _number(raw[name])
                if number is None:
                    errors.append(invalid(name, f"{path}.{name}", expected_data_type="double"))
                    continue
                item[name] = number
        if "Description" in raw and (
            raw["Description"] is None or isinstance(raw["Description"], str)
        ):
            item["Description"] = raw["Description"]
        item.setdefault("Quantity", 1.0)
        if item.get("List_Price") is None:
            item["List_Price"] = self.context.product_price(item["Product_Name"]["id"]) or 0.0
        item.setdefault("Discount", 0.0)
        item.setdefault("Tax", 0.0)
        amount = round(item["Quantity"] * item["List_Price"], 2)
        item["Amount"] = amount
        item["Total_After_Discount"] = round(amount - item["Discount"], 2)
        item["Total"] = round(amount - item["Discount"] + item["Tax"], 2)
        return errors

    def _totals(self, merged: dict[str, Any]) -> dict[str, Any]:
        items = merged.get(self.module.line_items or "") or []
        sub_total = round(sum(item["Total_After_Discount"] for item in items), 2)
        tax = round(sum(item["Tax"] for item in items), 2)
        discount = float(merged.get("Discount") or 0.0)
        adjustment = float(merged.get("Adjustment") or 0.0)
        return {
            "Sub_Total": sub_total,
            "Tax": tax,
            "Grand_Total": round(sub_total + tax - discount + adjustment, 2),
        }
