"""Line items and document totals, computed the way Xero does (tax per line, rounded to cents)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")


def money(value: Decimal) -> float:
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _decimal(value: Any, default: str) -> Decimal | None:
    if value is None or value == "":
        return Decimal(default)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@dataclass
class Catalogue:
    """What lines refer to: tax rates (percent), accounts and items, looked up by code."""

    tax_rates: dict[str, Decimal]
    account_tax_types: dict[str, str]
    find_item: Callable[[str], dict[str, Any] | None]


@dataclass
class Totals:
    lines: list[dict[str, Any]] = field(default_factory=list)
    sub_total: Decimal = Decimal(0)
    total_tax: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    total_discount: Decimal = Decimal(0)
    errors: list[str] = field(default_factory=list)


def compute(
    lines: list[dict[str, Any]],
    line_amount_types: str,
    *,
    sales: bool,
    catalogue: Catalogue,
    allow_discounts: bool = True,
) -> Totals:
    """Fill in LineAmount, TaxAmount, TaxType per line and the document's totals."""
    totals = Totals()
    default_tax = "OUTPUT" if sales else "INPUT"
    for given in lines:
        line = dict(given)
        line.setdefault("LineItemID", str(uuid.uuid4()))
        code = line.get("ItemCode")
        if code:
            item = catalogue.find_item(str(code))
            if item is None:
                totals.errors.append(f"Item code '{code}' is not valid.")
                continue
            line["ItemCode"] = item["Code"]
            details = item.get("SalesDetails" if sales else "PurchaseDetails") or {}
            if not line.get("Description"):
                line["Description"] = item.get(
                    "Description" if sales else "PurchaseDescription"
                ) or item.get("Name", "")
            if line.get("UnitAmount") is None and details.get("UnitPrice") is not None:
                line["UnitAmount"] = details["UnitPrice"]
            if not line.get("AccountCode") and details.get("AccountCode"):
                line["AccountCode"] = details["AccountCode"]
            if not line.get("TaxType") and details.get("TaxType"):
                line["TaxType"] = details["TaxType"]
        if not line.get("Description") and not code:
            totals.errors.append("The description field is mandatory for each line item.")
            continue
        quantity = _decimal(line.get("Quantity"), "1")
        discount = _decimal(line.get("DiscountRate"), "0")
        if quantity is None or discount is None:
            totals.errors.append("Line item Quantity and DiscountRate must be numbers.")
            continue
        if discount and not allow_discounts:
            totals.errors.append("Discounts may not be applied to ACCPAY invoices.")
            continue
        given_amount = _decimal(line.get("LineAmount"), "0") if "LineAmount" in line else None
        if line.get("UnitAmount") is None and given_amount is not None and quantity:
            unit = given_amount / quantity / (1 - discount / 100) if discount < 100 else Decimal(0)
        else:
            parsed_unit = _decimal(line.get("UnitAmount"), "0")
            if parsed_unit is None:
                totals.errors.append("Line item UnitAmount must be a number.")
                continue
            unit = parsed_unit
        gross = quantity * unit
        amount = (gross * (1 - discount / 100)).quantize(CENT, rounding=ROUND_HALF_UP)
        has_unit = line.get("UnitAmount") is not None
        if given_amount is not None and has_unit and abs(given_amount - amount) > CENT:
            totals.errors.append(
                f"The line total {given_amount} does not match the expected line total {amount}"
            )
            continue
        account = line.get("AccountCode")
        if account and str(account) not in catalogue.account_tax_types:
            totals.errors.append(f"Account code '{account}' is not a valid code for this document.")
            continue
        if line_amount_types == "NoTax":
            tax_type = "NONE"
        else:
            tax_type = str(
                line.get("TaxType")
                or (catalogue.account_tax_types.get(str(account)) if account else None)
                or default_tax
            )
        if tax_type not in catalogue.tax_rates:
            totals.errors.append(
                f"The TaxType code '{tax_type}' does not exist or cannot be used for this type "
                "of transaction."
            )
            continue
        rate = catalogue.tax_rates[tax_type] / 100
        if line_amount_types == "Exclusive":
            tax = (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)
        elif line_amount_types == "Inclusive":
            tax = (amount - amount / (1 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)
        else:
            tax = Decimal(0)
        line.update(
            {
                "Quantity": float(quantity),
                "UnitAmount": float(unit.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)),
                "LineAmount": money(amount),
                "TaxType": tax_type,
                "TaxAmount": money(tax),
            }
        )
        if discount:
            line["DiscountRate"] = float(discount)
        totals.lines.append(line)
        totals.total_tax += tax
        totals.total_discount += (gross - amount).quantize(CENT, rounding=ROUND_HALF_UP)
        if line_amount_types == "Inclusive":
            totals.total += amount
        else:
            totals.sub_total += amount
    if line_amount_types == "Inclusive":
        totals.sub_total = totals.total - totals.total_tax
    else:
        totals.total = totals.sub_total + totals.total_tax
    return totals
