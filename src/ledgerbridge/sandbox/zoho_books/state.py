"""The Zoho Books emulator's state: organizations and their records, with "user" methods.

Every route goes through these methods, and so do tests and the seed loader when they act as a
person would in the Zoho Books web client. Refusals are ``BooksError`` in the vendor's shape.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.oauth import OAuthServer
from ledgerbridge.sandbox.zoho_books import documents as doc
from ledgerbridge.sandbox.zoho_books.errors import (
    CODE_ALREADY_EXISTS,
    CODE_BAD_STATE,
    CODE_CONTACT_EXISTS,
    CODE_IN_USE,
    CODE_UNKNOWN_ORGANIZATION,
    BooksError,
    invalid,
    missing,
    not_found,
)
from ledgerbridge.sandbox.zoho_books.formats import cents, format_datetime, money_out, parse_offset
from ledgerbridge.sandbox.zoho_books.listing import ListQuery, Module, plan, search_key
from ledgerbridge.sandbox.zoho_books.modules import (
    BY_KIND,
    CONTACTS,
    CUSTOMER_PAYMENTS,
    INVOICES,
    ITEMS,
    PURCHASE_ORDERS,
)
from ledgerbridge.sandbox.zoho_books.store import BooksStore, Condition, Row

CLIENT_ID = "sandbox-zoho-books-client"
CLIENT_SECRET = "sandbox-zoho-books-secret"  # noqa: S105 - a published sandbox credential
SCOPE = "ZohoBooks.fullaccess.all"
ACCESS_TTL_SECONDS = 3600

_FIRST_RECORD_ID = 460000000000001
_FIRST_ORG_ID = 10234695
_ID_BLOCK = 1000
_OPEN_INVOICE = ("sent", "partially_paid")
# The modules custom fields are listed for (``GET /settings/fields?entity=...``).
CUSTOM_ENTITIES = ("contact", "item")
_CURRENCIES: dict[str, tuple[str, str, int]] = {
    "USD": ("US Dollar", "$", 2),
    "EUR": ("Euro", "€", 2),
    "GBP": ("Pound Sterling", "£", 2),
    "INR": ("Indian Rupee", "₹", 2),
    "AUD": ("Australian Dollar", "$", 2),
    "NZD": ("New Zealand Dollar", "$", 2),
    "CAD": ("Canadian Dollar", "$", 2),
    "JPY": ("Japanese Yen", "¥", 0),
    "CNY": ("Yuan Renminbi", "¥", 2),
    "AED": ("UAE Dirham", "AED", 2),
    "SAR": ("Saudi Riyal", "SAR", 2),
}

Listener = Callable[["ChangeEvent"], None]


@dataclass(frozen=True)
class ChangeEvent:
    """A record was created, updated or deleted (used for outgoing webhooks)."""

    organization_id: str
    module: str
    record_id: str
    operation: str
    record: dict[str, Any] | None


@dataclass(frozen=True)
class Page:
    records: list[dict[str, Any]]
    page_context: dict[str, Any]


@dataclass(frozen=True)
class BulkResult:
    """Ids of bulk-loaded records, in the order given."""

    contacts: list[str]
    items: list[str]
    invoices: list[str]
    purchase_orders: list[str]


class ZohoBooksState:
    """Organizations, settings and records of one emulated Zoho Books account."""

    def __init__(
        self,
        *,
        clock: VirtualClock | None = None,
        data: str | Path = ":memory:",
        daily_limit: int = 10_000,
    ) -> None:
        self.clock = clock or VirtualClock()
        self.store = BooksStore(data)
        self.daily_limit = daily_limit
        self.oauth = OAuthServer(
            self.clock,
            clients={CLIENT_ID: CLIENT_SECRET},
            access_ttl=ACCESS_TTL_SECONDS,
            rotate_refresh=False,
            max_access_per_refresh_per_10min=10,
        )
        self.listeners: list[Listener] = []
        self._lock = threading.RLock()
        self._ids: list[int] = []
        # Custom field definitions per (organisation, entity); kept in memory.
        self._custom: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._orgs: dict[str, dict[str, Any]] = {
            o["organization_id"]: o for o in self.store.organizations()
        }

    def close(self) -> None:
        self.store.close()

    # -- custom fields -----------------------------------------------------------------------------

    def add_custom_field(
        self, org_id: str, entity: str, label: str, data_type: str = "string"
    ) -> dict[str, Any]:
        """A custom field of ``entity`` (contact or item), as a person adds one in settings."""
        if entity not in CUSTOM_ENTITIES:
            raise invalid("entity")
        with self._lock:
            self.organization(org_id)
            slug = re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")
            field = {
                "field_id": self._new_id(),
                "customfield_id": "",
                "api_name": f"cf_{slug}",
                "label": label,
                "data_type": data_type,
                "entity": entity,
                "is_custom_field": True,
                "is_mandatory": False,
                "is_active": True,
            }
            field["customfield_id"] = field["field_id"]
            self._custom.setdefault((org_id, entity), []).append(field)
            return dict(field)

    def custom_field_defs(self, org_id: str, entity: str) -> list[dict[str, Any]]:
        if entity not in CUSTOM_ENTITIES:
            raise invalid("entity")
        with self._lock:
            self.organization(org_id)
            return [dict(f) for f in self._custom.get((org_id, entity), [])]

    # -- organizations and settings ------------------------------------------------------------

    def add_organization(
        self,
        name: str,
        *,
        currency_code: str = "USD",
        organization_id: str | None = None,
        is_default: bool | None = None,
        utc_offset: str = "+0000",
        time_zone: str = "Etc/UTC",
    ) -> dict[str, Any]:
        """Add an organization; the first one is the default unless told otherwise."""
        parse_offset(utc_offset)
        with self._lock:
            org_id = organization_id or str(self.store.next_numbers("org_id", 1, _FIRST_ORG_ID)[0])
            if org_id in self._orgs:
                raise BooksError(CODE_ALREADY_EXISTS, f"Organization {org_id} already exists.")
            default = is_default if is_default is not None else not self._orgs
            if default:
                for other in self._orgs.values():
                    other["is_default_org"] = False
                    self.store.put_organization(other["organization_id"], other)
            base = self._currency_doc(currency_code, is_base=True)
            org: dict[str, Any] = {
                "organization_id": org_id,
                "name": name,
                "contact_name": "Sandbox Owner",
                "email": "owner@sandbox.invalid",
                "is_default_org": default,
                "plan_type": 8,
                "plan_name": "Premium",
                "language_code": "en",
                "fiscal_year_start_month": 0,
                "account_created_date": self._today_in(parse_offset(utc_offset)).isoformat(),
                "time_zone": time_zone,
                "is_org_active": True,
                "currency_id": base["currency_id"],
                "currency_code": base["currency_code"],
                "currency_symbol": base["currency_symbol"],
                "currency_format": "###,##0.00",
                "price_precision": base["price_precision"],
                "_utc_offset": utc_offset,
                "_currencies": [base],
                "_taxes": [],
            }
            self._orgs[org_id] = org
            self.store.put_organization(org_id, org)
            return self.render_organization(org)

    def organizations(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self.render_organization(o) for o in self._orgs.values()]

    @property
    def default_organization_id(self) -> str:
        with self._lock:
            for org in self._orgs.values():
                if org["is_default_org"]:
                    return str(org["organization_id"])
        raise BooksError(CODE_UNKNOWN_ORGANIZATION, "There is no organization yet.")

    def organization(self, org_id: str | None) -> dict[str, Any]:
        """The stored organization; the real API's refusal when missing or unknown."""
        if not org_id:
            raise BooksError(
                CODE_UNKNOWN_ORGANIZATION,
                "This user is not associated with the CompanyID/CompanyName:.",
                400,
            )
        org = self._orgs.get(org_id)
        if org is None:
            raise BooksError(
                CODE_UNKNOWN_ORGANIZATION,
                f"This user is not associated with the CompanyID/CompanyName:{org_id}.",
                400,
            )
        return org

    @staticmethod
    def render_organization(org: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in org.items() if not k.startswith("_")}

    def add_currency(self, org_id: str, currency_code: str) -> dict[str, Any]:
        with self._lock:
            org = self.organization(org_id)
            code = currency_code.strip().upper()
            if any(c["currency_code"] == code for c in org["_currencies"]):
                raise BooksError(CODE_ALREADY_EXISTS, f"Currency {code} already exists.")
            currency = self._currency_doc(code, is_base=False)
            org["_currencies"].append(currency)
            self.store.put_organization(org_id, org)
            return dict(currency)

    def currencies(self, org_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self.organization(org_id)["_currencies"]]

    def add_tax(
        self, org_id: str, tax_name: str, tax_percentage: float | Decimal | str
    ) -> dict[str, Any]:
        with self._lock:
            org = self.organization(org_id)
            name = tax_name.strip()
            if not name:
                raise missing("Please enter the tax name.")
            if any(search_key(t["tax_name"]) == search_key(name) for t in org["_taxes"]):
                raise BooksError(CODE_ALREADY_EXISTS, f'The tax "{name}" already exists.')
            try:
                pct = Decimal(str(tax_percentage))
            except ArithmeticError as exc:
                raise invalid("tax_percentage") from exc
            if not pct.is_finite() or pct < 0 or pct > 100:
                raise invalid("tax_percentage")
            tax = {
                "tax_id": self._new_id(),
                "tax_name": name,
                "tax_percentage": float(pct),
                "tax_type": "tax",
                "is_default_tax": False,
                "is_editable": True,
            }
            org["_taxes"].append(tax)
            self.store.put_organization(org_id, org)
            return dict(tax)

    def taxes(self, org_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(t) for t in self.organization(org_id)["_taxes"]]

    def tax(self, org_id: str, tax_id: str) -> dict[str, Any]:
        found = self._tax_lookup(self.organization(org_id), tax_id)
        if found is None:
            raise not_found("Tax")
        return dict(found)

    # -- generic reads -------------------------------------------------------------------------

    def list_records(self, org_id: str, kind: str, query: ListQuery | None = None) -> Page:
        """One page of a module, shaped as the list answer of the real API."""
        module = BY_KIND[kind]
        with self._lock:
            org = self.organization(org_id)
            p = plan(module, query or ListQuery(), today=self._today(org))
            rows = self.store.find(
                kind,
                org_id,
                p.conditions,
                order_by=p.order_by,
                descending=p.descending,
                offset=p.offset,
                limit=p.limit + 1,
            )
            context = dict(p.page_context)
            context["has_more_page"] = len(rows) > p.limit
            records = [self._render(org, module, r, full=False) for r in rows[: p.limit]]
            return Page(records, context)

    def get(self, org_id: str, kind: str, record_id: str) -> dict[str, Any]:
        module = BY_KIND[kind]
        with self._lock:
            org = self.organization(org_id)
            return self._render(org, module, self._row(org_id, module, record_id), full=True)

    def count(self, org_id: str, kind: str) -> int:
        with self._lock:
            self.organization(org_id)
            return self.store.count(kind, org_id)

    # -- contacts ------------------------------------------------------------------------------

    def create_contact(self, org_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            org = self.organization(org_id)
            now = self._now_ms()
            row = self._contact_row(org, data, None, now)
            self._check_contact_name(org_id, row)
            with self.store.transaction():
                self.store.insert(row)
                self.store.set_persons(row.id, self._person_ids(row.doc))
            return self._changed(org, CONTACTS, row, "create")

    def update_contact(
        self, org_id: str, contact_id: str, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        with self._lock:
            org = self.organization(org_id)
            existing = self._row(org_id, CONTACTS, contact_id)
            row = self._contact_row(org, changes, existing, self._now_ms())
            self._check_contact_name(org_id, row)
            with self.store.transaction():
                self.store.replace(row)
                self.store.set_persons(row.id, self._person_ids(row.doc))
            return self._changed(org, CONTACTS, row, "update")

    def set_contact_status(self, org_id: str, contact_id: str, *, active: bool) -> dict[str, Any]:
        return self._set_status(org_id, CONTACTS, contact_id, "active" if active else "inactive")

    def delete_contact(self, org_id: str, contact_id: str) -> None:
        with self._lock:
            org = self.organization(org_id)
            row = self._row(org_id, CONTACTS, contact_id)
            for kind in ("invoices", "purchaseorders", "customerpayments"):
                if self.store.find_by_parent(kind, contact_id):
                    raise BooksError(
                        CODE_IN_USE,
                        "The contact cannot be deleted as it has transactions associated "
                        "with it. Mark the contact as inactive instead.",
                    )
            with self.store.transaction():
                self.store.delete("contacts", contact_id)
                self.store.set_persons(contact_id, [])
            self._emit(org, CONTACTS, row, "delete", None)

    def contact_persons(self, org_id: str, contact_id: str) -> list[dict[str, Any]]:
        with self._lock:
            row = self._row(org_id, CONTACTS, contact_id)
            return [dict(p) for p in row.doc["contact_persons"]]

    def add_contact_person(
        self, org_id: str, contact_id: str, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        with self._lock:
            people = self.contact_persons(org_id, contact_id)
            before = {p["contact_person_id"] for p in people}
            people.append({k: v for k, v in data.items() if k != "contact_person_id"})
            updated = self.update_contact(org_id, contact_id, {"contact_persons": people})
            new_id = next(
                p["contact_person_id"]
                for p in updated["contact_persons"]
                if p["contact_person_id"] not in before
            )
            if data.get("is_primary_contact"):
                return self.mark_primary_contact_person(org_id, new_id)
            return self._person(org_id, contact_id, new_id)

    def update_contact_person(
        self, org_id: str, person_id: str, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        with self._lock:
            contact_id = self._contact_of_person(org_id, person_id)
            people = self.contact_persons(org_id, contact_id)
            for i, p in enumerate(people):
                if p["contact_person_id"] == person_id:
                    people[i] = doc.person(data, p, person_id)
            primary = person_id if data.get("is_primary_contact") else None
            doc.mark_primary(people, primary)
            self.update_contact(org_id, contact_id, {"contact_persons": people})
            return self._person(org_id, contact_id, person_id)

    def delete_contact_person(self, org_id: str, person_id: str) -> None:
        with self._lock:
            contact_id = self._contact_of_person(org_id, person_id)
            people = [
                p
                for p in self.contact_persons(org_id, contact_id)
                if p["contact_person_id"] != person_id
            ]
            self.update_contact(org_id, contact_id, {"contact_persons": people})

    def mark_primary_contact_person(self, org_id: str, person_id: str) -> dict[str, Any]:
        with self._lock:
            contact_id = self._contact_of_person(org_id, person_id)
            people = self.contact_persons(org_id, contact_id)
            doc.mark_primary(people, person_id)
            self.update_contact(org_id, contact_id, {"contact_persons": people})
            return self._person(org_id, contact_id, person_id)

    # -- items ---------------------------------------------------------------------------------

    def create_item(self, org_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            org = self.organization(org_id)
            row = self._item_row(org, data, None, self._now_ms())
            self._check_item_keys(org_id, row)
            self.store.insert(row)
            return self._changed(org, ITEMS, row, "create")

    def update_item(self, org_id: str, item_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            org = self.organization(org_id)
            existing = self._row(org_id, ITEMS, item_id)
            row = self._item_row(org, changes, existing, self._now_ms())
            self._check_item_keys(org_id, row)
            self.store.replace(row)
            return self._changed(org, ITEMS, row, "update")

    def set_item_status(self, org_id: str, item_id: str, *, active: bool) -> dict[str, Any]:
        return self._set_status(org_id, ITEMS, item_id, "active" if active else "inactive")

    def delete_item(self, org_id: str, item_id: str) -> None:
        self._delete(org_id, ITEMS, item_id)

    # -- invoices ------------------------------------------------------------------------------

    def create_invoice(self, org_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            org = self.organization(org_id)
            row = self._invoice_row(org, data, None, self._now_ms())
            with self.store.transaction():
                self.store.insert(row)
            return self._changed(org, INVOICES, row, "create")

    def update_invoice(
        self, org_id: str, invoice_id: str, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        with self._lock:
            org = self.organization(org_id)
            existing = self._row(org_id, INVOICES, invoice_id)
            if existing.doc["status"] == "void":
                raise BooksError(CODE_BAD_STATE, "Voided invoices cannot be edited.")
            row = self._invoice_row(org, changes, existing, self._now_ms())
            with self.store.transaction():
                self.store.replace(row)
                self._refresh_outstanding(org_id, existing.doc["customer_id"])
                self._refresh_outstanding(org_id, row.doc["customer_id"])
            return self._changed(org, INVOICES, row, "update")

    def mark_invoice_sent(self, org_id: str, invoice_id: str) -> dict[str, Any]:
        with self._lock:
            row = self._row(org_id, INVOICES, invoice_id)
            status = row.doc["status"]
            if status == "void":
                raise BooksError(CODE_BAD_STATE, "Voided invoices cannot be marked as sent.")
            if status != "draft":
                return self.get(org_id, "invoices", invoice_id)
            return self._invoice_status(org_id, row, "sent")

    def void_invoice(self, org_id: str, invoice_id: str) -> dict[str, Any]:
        with self._lock:
            row = self._row(org_id, INVOICES, invoice_id)
            if Decimal(str(row.doc["payment_made"])) > 0:
                raise BooksError(
                    CODE_BAD_STATE,
                    "Invoices with payments cannot be voided. Delete the payments first.",
                )
            return self._invoice_status(org_id, row, "void")

    def mark_invoice_draft(self, org_id: str, invoice_id: str) -> dict[str, Any]:
        with self._lock:
            row = self._row(org_id, INVOICES, invoice_id)
            if row.doc["status"] not in ("void", "sent"):
                raise BooksError(
                    CODE_BAD_STATE, "Only sent or voided invoices can be drafts again."
                )
            if Decimal(str(row.doc["payment_made"])) > 0:
                raise BooksError(CODE_BAD_STATE, "Invoices with payments cannot be drafts again.")
            return self._invoice_status(org_id, row, "draft")

    def delete_invoice(self, org_id: str, invoice_id: str) -> None:
        with self._lock:
            row = self._row(org_id, INVOICES, invoice_id)
            if Decimal(str(row.doc["payment_made"])) > 0:
                raise BooksError(
                    CODE_IN_USE,
                    "Invoices with payments cannot be deleted. Delete the payments first.",
                )
            self._delete(org_id, INVOICES, invoice_id)
            self._refresh_outstanding(org_id, row.doc["customer_id"])

    def record_payment(self, org_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Record a customer payment and apply it to invoices (``POST /customerpayments``)."""
        with self._lock:
            org = self.organization(org_id)
            customer_id = doc.text(data, "customer_id", limit=40)
            if not customer_id:
                raise missing("Please select a customer.")
            customer = self._reference(org_id, customer_id, "customer")
            amount = doc.money(data, "amount")
            if amount <= 0:
                raise invalid("amount")
            raw_apply = data.get("invoices") or []
            if not isinstance(raw_apply, list):
                raise invalid("invoices")
            now = self._now_ms()
            applied_total = Decimal(0)
            touched: list[Row] = []
            applied: list[dict[str, Any]] = []
            for entry in raw_apply:
                if not isinstance(entry, dict):
                    raise invalid("invoices")
                invoice_id = doc.text(entry, "invoice_id", limit=40) or ""
                found = self.store.get("invoices", org_id, invoice_id)
                if found is None or found.doc["customer_id"] != customer_id:
                    raise BooksError(1002, "Invoice does not exist.")
                share = doc.money(entry, "amount_applied")
                balance = Decimal(str(found.doc["balance"]))
                if found.doc["status"] == "void" or share > balance:
                    raise BooksError(
                        CODE_BAD_STATE,
                        f"The amount applied exceeds the balance due of invoice "
                        f"{found.doc['invoice_number']}.",
                    )
                applied_total += share
                paid = Decimal(str(found.doc["payment_made"])) + share
                found.doc["payment_made"] = money_out(paid)
                found.doc["balance"] = money_out(balance - share)
                found.doc["status"] = "paid" if balance - share == 0 else "partially_paid"
                found.keys["status"] = found.doc["status"]
                found.keys["due_key"] = self._due_key(found.doc)
                found.modified_ms = now
                touched.append(found)
                applied.append(
                    {
                        "invoice_id": invoice_id,
                        "invoice_number": found.doc["invoice_number"],
                        "amount_applied": money_out(share),
                    }
                )
            if applied_total > amount:
                raise invalid("amount")
            payment_id = self._new_id()
            number = self._next_number(org_id, "payment", "", 1)
            pay_date = doc.iso_date(data, "date", self._today(org).isoformat())
            payment = {
                "payment_id": payment_id,
                "payment_number": number,
                "customer_id": customer_id,
                "customer_name": customer.doc["contact_name"],
                "payment_mode": doc.text(data, "payment_mode", limit=50) or "cash",
                "date": pay_date,
                "reference_number": doc.text(data, "reference_number", limit=100) or "",
                "amount": money_out(amount),
                "unused_amount": money_out(amount - applied_total),
                "currency_code": customer.doc["currency_code"],
                "invoices": applied,
            }
            pay_row = Row(
                "customerpayments",
                payment_id,
                org_id,
                payment,
                now,
                now,
                {"parent_id": customer_id, "date_key": pay_date, "number_key": number.casefold()},
            )
            with self.store.transaction():
                for inv in touched:
                    self.store.replace(inv)
                self.store.insert(pay_row)
                credits = Decimal(str(customer.doc["unused_credits_receivable_amount"]))
                customer.doc["unused_credits_receivable_amount"] = money_out(
                    credits + amount - applied_total
                )
                self.store.replace(customer)
                self._refresh_outstanding(org_id, customer_id)
            for inv in touched:
                self._emit(org, INVOICES, inv, "update", None)
            return self._changed(org, CUSTOMER_PAYMENTS, pay_row, "create")

    def pay_invoice(
        self, org_id: str, invoice_id: str, amount: float | Decimal | None = None
    ) -> dict[str, Any]:
        """Record a payment of ``amount`` (default: the whole balance) against one invoice."""
        with self._lock:
            invoice = self._row(org_id, INVOICES, invoice_id)
            if invoice.doc["status"] == "draft":
                self.mark_invoice_sent(org_id, invoice_id)
            share = (
                Decimal(str(amount)) if amount is not None else Decimal(str(invoice.doc["balance"]))
            )
            return self.record_payment(
                org_id,
                {
                    "customer_id": invoice.doc["customer_id"],
                    "amount": str(share),
                    "invoices": [{"invoice_id": invoice_id, "amount_applied": str(share)}],
                },
            )

    # -- purchase orders -----------------------------------------------------------------------

    def create_purchase_order(self, org_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            org = self.organization(org_id)
            row = self._purchase_order_row(org, data, None, self._now_ms())
            self.store.insert(row)
            return self._changed(org, PURCHASE_ORDERS, row, "create")

    def update_purchase_order(
        self, org_id: str, purchaseorder_id: str, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        with self._lock:
            org = self.organization(org_id)
            existing = self._row(org_id, PURCHASE_ORDERS, purchaseorder_id)
            if existing.doc["status"] in ("billed", "cancelled"):
                raise BooksError(
                    CODE_BAD_STATE, f"A {existing.doc['status']} purchase order cannot be edited."
                )
            row = self._purchase_order_row(org, changes, existing, self._now_ms())
            self.store.replace(row)
            return self._changed(org, PURCHASE_ORDERS, row, "update")

    def set_purchase_order_status(
        self, org_id: str, purchaseorder_id: str, status: str
    ) -> dict[str, Any]:
        """Move a purchase order along draft -> open -> billed, or cancel it."""
        allowed = {
            "open": ("draft",),
            "billed": ("open",),
            "cancelled": ("draft", "open"),
            "draft": ("cancelled",),
        }
        with self._lock:
            org = self.organization(org_id)
            row = self._row(org_id, PURCHASE_ORDERS, purchaseorder_id)
            if status not in allowed:
                raise invalid("status")
            if row.doc["status"] not in allowed[status]:
                raise BooksError(
                    CODE_BAD_STATE,
                    f"A {row.doc['status']} purchase order cannot be marked as {status}.",
                )
            row.doc["status"] = status
            row.keys["status"] = status
            row.modified_ms = self._now_ms()
            self.store.replace(row)
            return self._changed(org, PURCHASE_ORDERS, row, "update")

    def delete_purchase_order(self, org_id: str, purchaseorder_id: str) -> None:
        self._delete(org_id, PURCHASE_ORDERS, purchaseorder_id)

    # -- bulk loading --------------------------------------------------------------------------

    def bulk_load(
        self,
        org_id: str,
        *,
        contacts: Sequence[Mapping[str, Any]] = (),
        items: Sequence[Mapping[str, Any]] = (),
        invoices: Sequence[Mapping[str, Any]] = (),
        purchase_orders: Sequence[Mapping[str, Any]] = (),
    ) -> BulkResult:
        """Create many records in one transaction with the same checks as one by one.

        Invoices and purchase orders may carry ``status`` "sent"/"open" to land past draft.
        Webhooks are not sent for bulk loads (they stand for data that was there before).
        """
        # one transaction for the whole load: ids and numbers are drawn without a commit each
        with self._lock, self.store.transaction():
            org = self.organization(org_id)
            now = self._now_ms()
            new_rows: dict[str, Row] = {}
            pending_keys: dict[str, set[str]] = {"name": set(), "sku": set(), "item": set()}
            contact_rows = []
            for data in contacts:
                row = self._contact_row(org, data, None, now)
                self._check_contact_name(org_id, row, pending_keys["name"])
                pending_keys["name"].add(row.keys["name_key"])
                contact_rows.append(row)
                new_rows[row.id] = row
            item_rows = []
            for data in items:
                row = self._item_row(org, data, None, now)
                self._check_item_keys(org_id, row, pending_keys["item"], pending_keys["sku"])
                pending_keys["item"].add(row.keys["name_key"])
                if row.keys["sku_key"]:
                    pending_keys["sku"].add(row.keys["sku_key"])
                item_rows.append(row)
                new_rows[row.id] = row
            self._pending = new_rows
            self._bulk = True
            try:
                invoice_rows = []
                for data in invoices:
                    row = self._invoice_row(org, data, None, now)
                    if data.get("status") == "sent":
                        row.doc["status"] = "sent"
                        row.keys["status"] = "sent"
                        row.keys["due_key"] = self._due_key(row.doc)
                    invoice_rows.append(row)
                po_rows = []
                for data in purchase_orders:
                    row = self._purchase_order_row(org, data, None, now)
                    if data.get("status") == "open":
                        row.doc["status"] = "open"
                        row.keys["status"] = "open"
                    po_rows.append(row)
            finally:
                self._pending = {}
                self._bulk = False
            with self.store.transaction():
                self.store.insert_many(contact_rows)
                self.store.add_persons(
                    (pid, r.id) for r in contact_rows for pid in self._person_ids(r.doc)
                )
                self.store.insert_many(item_rows)
                self.store.insert_many(invoice_rows)
                self.store.insert_many(po_rows)
                for customer_id in {r.doc["customer_id"] for r in invoice_rows}:
                    self._refresh_outstanding(org_id, customer_id)
            return BulkResult(
                [r.id for r in contact_rows],
                [r.id for r in item_rows],
                [r.id for r in invoice_rows],
                [r.id for r in po_rows],
            )

    # -- builders ------------------------------------------------------------------------------

    _pending: dict[str, Row] = {}
    _bulk = False

    def _contact_row(
        self, org: Mapping[str, Any], data: Mapping[str, Any], existing: Row | None, now: int
    ) -> Row:
        base: dict[str, Any] = (
            dict(existing.doc)
            if existing
            else {
                "contact_id": self._new_id(),
                "contact_name": "",
                "company_name": "",
                "contact_type": "customer",
                "customer_sub_type": "business",
                "website": "",
                "notes": "",
                "payment_terms": 0,
                "currency_id": org["currency_id"],
                "currency_code": org["currency_code"],
                "billing_address": {},
                "shipping_address": {},
                "contact_persons": [],
                "custom_fields": [],
                "outstanding_receivable_amount": 0.0,
                "outstanding_payable_amount": 0.0,
                "unused_credits_receivable_amount": 0.0,
                "status": "active",
            }
        )
        name = doc.text(data, "contact_name", limit=200)
        if name is not None:
            base["contact_name"] = name
        if not base["contact_name"]:
            raise missing("Please enter the contact name.")
        for field in ("company_name", "website", "notes"):
            value = doc.text(data, field, limit=500)
            if value is not None:
                base[field] = value
        kind = doc.choice(data, "contact_type", ("customer", "vendor"))
        if kind is not None:
            base["contact_type"] = kind
        sub_type = doc.choice(data, "customer_sub_type", ("business", "individual"))
        if sub_type is not None:
            base["customer_sub_type"] = sub_type
        if "payment_terms" in data:
            base["payment_terms"] = int(doc.money(data, "payment_terms", default=Decimal(0)))
        self._apply_currency(org, data, base)
        for field in ("billing_address", "shipping_address"):
            if field in data:
                if not isinstance(data[field], dict):
                    raise invalid(field)
                base[field] = {str(k): v for k, v in data[field].items()}
        people = [dict(p) for p in base["contact_persons"]]
        if "contact_persons" in data:
            people = doc.persons(data["contact_persons"], people, self._new_id)
        top = {
            k: data[k] for k in ("first_name", "last_name", "email", "phone", "mobile") if k in data
        }
        if top:
            # Fields on the contact itself belong to its primary person.
            primary = next((p for p in people if p["is_primary_contact"]), None)
            if primary is None:
                people.append(doc.person(top, {"is_primary_contact": True}, self._new_id()))
            else:
                people[people.index(primary)] = doc.person(
                    top, primary, primary["contact_person_id"]
                )
        base["contact_persons"] = people
        if "custom_fields" in data:
            base["custom_fields"] = doc.custom_fields(data["custom_fields"], base["custom_fields"])
        primary_email = next((p["email"] for p in people if p["is_primary_contact"]), "")
        return Row(
            "contacts",
            base["contact_id"],
            org["organization_id"],
            base,
            existing.created_ms if existing else now,
            now,
            {
                "name_key": search_key(base["contact_name"]),
                "email_key": search_key(primary_email),
                "company_key": search_key(base["company_name"]),
                "status": base["status"],
                "ctype": base["contact_type"],
            },
        )

    def _item_row(
        self, org: Mapping[str, Any], data: Mapping[str, Any], existing: Row | None, now: int
    ) -> Row:
        base: dict[str, Any] = (
            dict(existing.doc)
            if existing
            else {
                "item_id": self._new_id(),
                "name": "",
                "sku": "",
                "description": "",
                "rate": 0.0,
                "unit": "",
                "tax_id": "",
                "tax_name": "",
                "tax_percentage": 0.0,
                "product_type": "goods",
                "item_type": "sales",
                "status": "active",
            }
        )
        name = doc.text(data, "name", limit=100)
        if name is not None:
            base["name"] = name
        if not base["name"]:
            raise missing("Please enter the item name.")
        for field, limit in (("sku", 100), ("description", 2000), ("unit", 50)):
            value = doc.text(data, field, limit=limit)
            if value is not None:
                base[field] = value
        if "rate" in data:
            base["rate"] = money_out(doc.money(data, "rate"))
        product_type = doc.choice(data, "product_type", ("goods", "service", "digital_service"))
        if product_type is not None:
            base["product_type"] = product_type
        tax_id = doc.text(data, "tax_id", limit=40)
        if tax_id is not None:
            tax = self._tax_lookup(org, tax_id) if tax_id else None
            if tax_id and tax is None:
                raise invalid("tax_id")
            base["tax_id"] = tax_id
            base["tax_name"] = tax["tax_name"] if tax else ""
            base["tax_percentage"] = tax["tax_percentage"] if tax else 0.0
        return Row(
            "items",
            base["item_id"],
            org["organization_id"],
            base,
            existing.created_ms if existing else now,
            now,
            {
                "name_key": search_key(base["name"]),
                "sku_key": search_key(base["sku"]),
                "status": base["status"],
                "ctype": base["product_type"],
            },
        )

    def _invoice_row(
        self, org: Mapping[str, Any], data: Mapping[str, Any], existing: Row | None, now: int
    ) -> Row:
        org_id = str(org["organization_id"])
        today = self._today(org).isoformat()
        base: dict[str, Any] = (
            dict(existing.doc)
            if existing
            else {
                "invoice_id": self._new_id(),
                "status": "draft",
                "payment_made": 0.0,
                "reference_number": "",
                "notes": "",
                "terms": "",
            }
        )
        self._set_party(org_id, base, data, "customer", creating=existing is None)
        self._set_number(
            org_id, base, data, INVOICES, "invoice", ("INV-", 6), creating=existing is None
        )
        base["date"] = doc.iso_date(data, "date", base.get("date", today))
        base["due_date"] = doc.iso_date(data, "due_date", base.get("due_date", base["date"]))
        for field in ("reference_number", "notes", "terms"):
            value = doc.text(data, field, limit=5000)
            if value is not None:
                base[field] = value
        if "line_items" in data or existing is None:
            lines, sub_total, tax_total = doc.line_items(
                data.get("line_items"),
                item_lookup=lambda i: self._item_lookup(org_id, i),
                tax_lookup=lambda t: self._tax_lookup(org, t),
                new_id=self._new_id,
                existing=base.get("line_items", ()),
            )
            total = cents(sub_total + tax_total)
            paid = Decimal(str(base["payment_made"]))
            if total < paid:
                raise BooksError(
                    CODE_BAD_STATE, "The invoice total cannot be less than the payments made."
                )
            base.update(
                line_items=lines,
                sub_total=money_out(sub_total),
                tax_total=money_out(tax_total),
                total=money_out(total),
                balance=money_out(total - paid),
            )
            if base["status"] in ("paid", "partially_paid"):
                base["status"] = "paid" if total == paid else "partially_paid"
        return Row(
            "invoices",
            base["invoice_id"],
            org_id,
            base,
            existing.created_ms if existing else now,
            now,
            {
                "number_key": search_key(base["invoice_number"]),
                "name_key": search_key(base["customer_name"]),
                "parent_id": base["customer_id"],
                "status": base["status"],
                "date_key": base["date"],
                "due_key": self._due_key(base),
            },
        )

    def _purchase_order_row(
        self, org: Mapping[str, Any], data: Mapping[str, Any], existing: Row | None, now: int
    ) -> Row:
        org_id = str(org["organization_id"])
        today = self._today(org).isoformat()
        base: dict[str, Any] = (
            dict(existing.doc)
            if existing
            else {
                "purchaseorder_id": self._new_id(),
                "status": "draft",
                "reference_number": "",
                "notes": "",
                "delivery_date": "",
            }
        )
        self._set_party(org_id, base, data, "vendor", creating=existing is None)
        self._set_number(
            org_id,
            base,
            data,
            PURCHASE_ORDERS,
            "purchaseorder",
            ("PO-", 5),
            creating=existing is None,
        )
        base["date"] = doc.iso_date(data, "date", base.get("date", today))
        if data.get("delivery_date"):
            base["delivery_date"] = doc.iso_date(data, "delivery_date", "")
        for field in ("reference_number", "notes"):
            value = doc.text(data, field, limit=5000)
            if value is not None:
                base[field] = value
        if "line_items" in data or existing is None:
            lines, sub_total, tax_total = doc.line_items(
                data.get("line_items"),
                item_lookup=lambda i: self._item_lookup(org_id, i),
                tax_lookup=lambda t: self._tax_lookup(org, t),
                new_id=self._new_id,
                existing=base.get("line_items", ()),
            )
            base.update(
                line_items=lines,
                sub_total=money_out(sub_total),
                tax_total=money_out(tax_total),
                total=money_out(sub_total + tax_total),
            )
        return Row(
            "purchaseorders",
            base["purchaseorder_id"],
            org_id,
            base,
            existing.created_ms if existing else now,
            now,
            {
                "number_key": search_key(base["purchaseorder_number"]),
                "name_key": search_key(base["vendor_name"]),
                "parent_id": base["vendor_id"],
                "status": base["status"],
                "date_key": base["date"],
            },
        )

    # -- helpers -------------------------------------------------------------------------------

    def _new_id(self) -> str:
        # ids are reserved in blocks; a restart skips the rest of a block, as real ids have gaps
        with self._lock:
            if not self._ids:
                self._ids = list(
                    reversed(self.store.next_numbers("record_id", _ID_BLOCK, _FIRST_RECORD_ID))
                )
            return str(self._ids.pop())

    def _now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    @staticmethod
    def _zone(org: Mapping[str, Any]) -> timezone:
        return parse_offset(str(org["_utc_offset"]))

    def _today_in(self, zone: timezone) -> date:
        return self.clock.now().astimezone(zone).date()

    def _today(self, org: Mapping[str, Any]) -> date:
        return self._today_in(self._zone(org))

    @staticmethod
    def _due_key(invoice: Mapping[str, Any]) -> str:
        # only open invoices can be overdue; others keep no due key for the overdue filter
        return str(invoice["due_date"]) if invoice["status"] in _OPEN_INVOICE else ""

    def _currency_doc(self, code: str, *, is_base: bool) -> dict[str, Any]:
        code = code.strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise invalid("currency_code")
        name, symbol, precision = _CURRENCIES.get(code, (code, code, 2))
        return {
            "currency_id": self._new_id(),
            "currency_code": code,
            "currency_name": name,
            "currency_symbol": symbol,
            "price_precision": precision,
            "currency_format": "1,234,567.89",
            "is_base_currency": is_base,
            "exchange_rate": 1.0 if is_base else 0.0,
            "effective_date": "",
        }

    def _apply_currency(
        self, org: Mapping[str, Any], data: Mapping[str, Any], base: dict[str, Any]
    ) -> None:
        wanted_id = doc.text(data, "currency_id", limit=40)
        wanted_code = doc.text(data, "currency_code", limit=3)
        if not wanted_id and not wanted_code:
            return
        for currency in org["_currencies"]:
            if currency["currency_id"] == wanted_id or (
                wanted_code and currency["currency_code"] == wanted_code.upper()
            ):
                base["currency_id"] = currency["currency_id"]
                base["currency_code"] = currency["currency_code"]
                return
        raise invalid("currency_id" if wanted_id else "currency_code")

    @staticmethod
    def _tax_lookup(org: Mapping[str, Any], tax_id: str) -> dict[str, Any] | None:
        return next((t for t in org["_taxes"] if t["tax_id"] == tax_id), None)

    def _item_lookup(self, org_id: str, item_id: str) -> dict[str, Any] | None:
        pending = self._pending.get(item_id)
        if pending is not None and pending.kind == "items":
            return pending.doc
        row = self.store.get("items", org_id, item_id)
        if row is not None and self._bulk:
            # during a bulk load the same items come back on many lines
            self._pending[item_id] = row
        return None if row is None else row.doc

    def _reference(self, org_id: str, contact_id: str, contact_type: str) -> Row:
        row = self._pending.get(contact_id)
        if row is None or row.kind != "contacts":
            row = self.store.get("contacts", org_id, contact_id)
            if row is not None and self._bulk:
                self._pending[contact_id] = row
        if row is None:
            raise BooksError(1002, f"{contact_type.capitalize()} does not exist.")
        if row.doc["contact_type"] != contact_type:
            raise invalid(f"{contact_type}_id")
        return row

    def _row(self, org_id: str, module: Module, record_id: str) -> Row:
        row = self.store.get(module.kind, org_id, record_id)
        if row is None:
            raise not_found(module.label)
        return row

    def _check_contact_name(self, org_id: str, row: Row, pending: Iterable[str] = ()) -> None:
        key = row.keys["name_key"]
        clash = [
            r
            for r in self.store.find("contacts", org_id, [Condition("name_key", "=", key)])
            if r.id != row.id
        ]
        if clash or key in set(pending):
            raise BooksError(
                CODE_CONTACT_EXISTS,
                f'The {row.doc["contact_type"]} "{row.doc["contact_name"]}" already exists. '
                "Please specify a different name.",
            )

    def _check_item_keys(
        self, org_id: str, row: Row, names: Iterable[str] = (), skus: Iterable[str] = ()
    ) -> None:
        name_clash = [
            r
            for r in self.store.find(
                "items", org_id, [Condition("name_key", "=", row.keys["name_key"])]
            )
            if r.id != row.id
        ]
        if name_clash or row.keys["name_key"] in set(names):
            raise BooksError(CODE_ALREADY_EXISTS, f'The item "{row.doc["name"]}" already exists.')
        sku = row.keys["sku_key"]
        if sku:
            sku_clash = [
                r
                for r in self.store.find("items", org_id, [Condition("sku_key", "=", sku)])
                if r.id != row.id
            ]
            if sku_clash or sku in set(skus):
                raise BooksError(
                    CODE_ALREADY_EXISTS,
                    f'The SKU "{row.doc["sku"]}" is already used by another item.',
                )

    def _set_party(
        self, org_id: str, base: dict[str, Any], data: Any, kind: str, *, creating: bool
    ) -> None:
        """The customer of an invoice or the vendor of a purchase order, checked to exist."""
        party_id = doc.text(data, f"{kind}_id", limit=40)
        if party_id is None and creating:
            raise missing(f"Please select a {kind}.")
        if party_id is not None:
            party = self._reference(org_id, party_id, kind)
            base[f"{kind}_id"] = party_id
            base[f"{kind}_name"] = party.doc["contact_name"]
            base["currency_code"] = party.doc["currency_code"]

    def _set_number(
        self,
        org_id: str,
        base: dict[str, Any],
        data: Any,
        collection: Module,
        kind: str,
        auto: tuple[str, int],
        *,
        creating: bool,
    ) -> None:
        """A document's number: the one given (unique per organization) or the next one."""
        number = doc.text(data, f"{kind}_number", limit=100)
        if number:
            self._check_number(org_id, collection, number, base[f"{kind}_id"])
            base[f"{kind}_number"] = number
        elif creating:
            base[f"{kind}_number"] = self._next_number(org_id, kind, *auto)

    def _check_number(self, org_id: str, module: Module, number: str, own_id: str) -> None:
        clash = [
            r
            for r in self.store.find(
                module.kind, org_id, [Condition("number_key", "=", search_key(number))]
            )
            if r.id != own_id
        ]
        if clash:
            label = "Invoice" if module is INVOICES else "Purchase order"
            raise BooksError(
                CODE_ALREADY_EXISTS,
                f"{label} number {number} already exists. Please enter a different number.",
            )

    def _next_number(self, org_id: str, sequence: str, prefix: str, width: int) -> str:
        """The next free number of an organization's series, skipping numbers given by hand."""
        module = {"invoice": INVOICES, "purchaseorder": PURCHASE_ORDERS}.get(sequence)
        while True:
            value = self.store.next_numbers(f"{sequence}:{org_id}", 1, 1)[0]
            number = f"{prefix}{value:0{width}d}"
            if module is None or not self.store.find(
                module.kind, org_id, [Condition("number_key", "=", search_key(number))]
            ):
                return number

    @staticmethod
    def _person_ids(contact: Mapping[str, Any]) -> list[str]:
        return [str(p["contact_person_id"]) for p in contact["contact_persons"]]

    def _contact_of_person(self, org_id: str, person_id: str) -> str:
        contact_id = self.store.contact_of_person(person_id)
        if contact_id is None or self.store.get("contacts", org_id, contact_id) is None:
            raise not_found("Contact person")
        return contact_id

    def _person(self, org_id: str, contact_id: str, person_id: str) -> dict[str, Any]:
        for p in self.contact_persons(org_id, contact_id):
            if p["contact_person_id"] == person_id:
                return {**p, "contact_id": contact_id}
        raise not_found("Contact person")

    def _set_status(
        self, org_id: str, module: Module, record_id: str, status: str
    ) -> dict[str, Any]:
        with self._lock:
            org = self.organization(org_id)
            row = self._row(org_id, module, record_id)
            row.doc["status"] = status
            row.keys["status"] = status
            row.modified_ms = self._now_ms()
            self.store.replace(row)
            return self._changed(org, module, row, "update")

    def _invoice_status(self, org_id: str, row: Row, status: str) -> dict[str, Any]:
        org = self.organization(org_id)
        row.doc["status"] = status
        if status == "void":
            row.doc["balance"] = 0.0
        elif status == "draft":
            row.doc["balance"] = row.doc["total"]
        row.keys["status"] = status
        row.keys["due_key"] = self._due_key(row.doc)
        row.modified_ms = self._now_ms()
        with self.store.transaction():
            self.store.replace(row)
            self._refresh_outstanding(org_id, row.doc["customer_id"])
        return self._changed(org, INVOICES, row, "update")

    def _delete(self, org_id: str, module: Module, record_id: str) -> None:
        with self._lock:
            org = self.organization(org_id)
            row = self._row(org_id, module, record_id)
            self.store.delete(module.kind, record_id)
            self._emit(org, module, row, "delete", None)

    def _refresh_outstanding(self, org_id: str, customer_id: str) -> None:
        """Recompute a customer's receivable from its open invoices.

        Like the real service this does not bump the contact's ``last_modified_time``.
        """
        contact = self.store.get("contacts", org_id, customer_id)
        if contact is None:
            return
        open_total = self.store.sum_open("invoices", customer_id, _OPEN_INVOICE, "balance")
        contact.doc["outstanding_receivable_amount"] = money_out(Decimal(open_total))
        self.store.replace(contact)

    def _render(
        self, org: Mapping[str, Any], module: Module, row: Row, *, full: bool
    ) -> dict[str, Any]:
        zone = self._zone(org)
        out = dict(row.doc)
        if module is CONTACTS:
            primary: dict[str, Any] = next(
                (p for p in out["contact_persons"] if p["is_primary_contact"]), {}
            )
            for field in ("first_name", "last_name", "email", "phone", "mobile"):
                out[field] = primary.get(field, "")
            out["primary_contact_id"] = primary.get("contact_person_id", "")
        if (
            module is INVOICES
            and out["status"] in _OPEN_INVOICE
            and out["due_date"] < self._today_in(zone).isoformat()
        ):
            out["status"] = "overdue"
        out["created_time"] = format_datetime(
            datetime.fromtimestamp(row.created_ms / 1000, tz=zone), zone
        )
        out["last_modified_time"] = format_datetime(
            datetime.fromtimestamp(row.modified_ms / 1000, tz=zone), zone
        )
        if not full:
            for field in module.list_omit:
                out.pop(field, None)
        return out

    def _changed(self, org: Mapping[str, Any], module: Module, row: Row, op: str) -> dict[str, Any]:
        rendered = self._render(org, module, row, full=True)
        self._emit(org, module, row, op, rendered)
        return rendered

    def _emit(
        self,
        org: Mapping[str, Any],
        module: Module,
        row: Row,
        op: str,
        rendered: dict[str, Any] | None,
    ) -> None:
        if not self.listeners:
            return
        event = ChangeEvent(str(org["organization_id"]), module.kind, row.id, op, rendered)
        for listener in list(self.listeners):
            listener(event)
