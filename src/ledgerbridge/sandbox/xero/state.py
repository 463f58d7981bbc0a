"""The state of one emulated Xero organisation: records in SQLite, rules applied on write.

Routes and tests share these methods, so a record added "as a user would" through the state
follows the same rules (uniqueness, totals, statuses, webhooks) as one written through the API.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.docstore import Collection, DocStore, Row
from ledgerbridge.sandbox.xero import models
from ledgerbridge.sandbox.xero.dates import ms_date, ms_day, parse_day
from ledgerbridge.sandbox.xero.lines import Catalogue, compute, money
from ledgerbridge.sandbox.xero.webhooks import XeroWebhooks
from ledgerbridge.sandbox.xero.where import QueryParseError, equality_lookup, matches, parse

Kind = Literal["contacts", "items", "invoices", "purchase_orders", "tax_rates", "accounts"]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


def is_guid(text: str) -> bool:
    return bool(_GUID.match(text))


class XeroValidationError(ValueError):
    """A direct state call broke one of Xero's rules; ``messages`` are Xero's own words."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class WriteResult:
    """One element of a batch write: what the answer carries for it, and its errors."""

    element: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    record_id: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class QueryResult:
    records: list[dict[str, Any]]
    item_count: int
    page: int | None = None
    page_size: int | None = None

    @property
    def pagination(self) -> dict[str, int] | None:
        if self.page is None or self.page_size is None:
            return None
        return {
            "page": self.page,
            "pageSize": self.page_size,
            "pageCount": math.ceil(self.item_count / self.page_size) if self.item_count else 0,
            "itemCount": self.item_count,
        }


@dataclass(frozen=True)
class _KindInfo:
    collection: str
    type_name: str
    fields: frozenset[str]
    indexes: tuple[str, ...]


_KINDS: dict[str, _KindInfo] = {
    "contacts": _KindInfo(
        "contacts",
        "Contact",
        models.CONTACT_FIELDS,
        ("Name", "ContactNumber", "EmailAddress", "ContactStatus"),
    ),
    "items": _KindInfo("items", "Item", models.ITEM_FIELDS, ("Code", "Name")),
    "invoices": _KindInfo(
        "invoices",
        "Invoice",
        models.INVOICE_FIELDS,
        ("InvoiceNumber", "Type", "Status", "Contact.ContactID"),
    ),
    "purchase_orders": _KindInfo(
        "purchase_orders",
        "PurchaseOrder",
        models.PURCHASE_ORDER_FIELDS,
        ("PurchaseOrderNumber", "Status", "Contact.ContactID"),
    ),
    "tax_rates": _KindInfo("tax_rates", "TaxRate", models.TAX_RATE_FIELDS, ("TaxType",)),
    "accounts": _KindInfo("accounts", "Account", models.ACCOUNT_FIELDS, ("Code",)),
}


def _default_addresses() -> list[dict[str, Any]]:
    return [{"AddressType": "POBOX"}, {"AddressType": "STREET"}]


def _default_phones() -> list[dict[str, Any]]:
    return [{"PhoneType": kind} for kind in ("DEFAULT", "DDI", "FAX", "MOBILE")]


def _no_balances() -> dict[str, Any]:
    zero = {"Outstanding": 0.0, "Overdue": 0.0}
    return {"AccountsReceivable": dict(zero), "AccountsPayable": dict(zero)}


def _day_fields(name: str, day: date) -> dict[str, str]:
    return {name: ms_day(day), f"{name}String": f"{day.isoformat()}T00:00:00"}


class XeroState:
    """One Xero organisation (tenant) with its contacts, items, invoices and purchase orders."""

    def __init__(
        self,
        clock: VirtualClock | None = None,
        *,
        data: str = ":memory:",
        tenant_id: str | None = None,
        organisation_name: str = "Sandbox Trading Ltd",
        base_currency: str = "NZD",
        webhook_key: str | None = None,
        api_base: str = "https://api.xero.com/api.xro/2.0",
    ) -> None:
        self.clock = clock or VirtualClock()
        self.store = DocStore(data)
        self._lock = threading.RLock()
        self._collections: dict[str, Collection] = {
            kind: self.store.collection(info.collection, info.indexes)
            for kind, info in _KINDS.items()
        }
        self._settings = self.store.collection("settings", ())
        self._themes = self.store.collection("branding_themes", ())
        self._seed_settings(tenant_id, organisation_name, base_currency)
        self.webhooks = XeroWebhooks(self.clock, self.tenant_id, key=webhook_key, api_base=api_base)

    # -- settings --------------------------------------------------------------------------------

    def _seed_settings(self, tenant_id: str | None, name: str, base_currency: str) -> None:
        now = self.clock.now()
        if self._settings.get("organisation") is None:
            organisation = {
                "OrganisationID": tenant_id or str(uuid.uuid4()),
                "APIKey": uuid.uuid4().hex.upper()[:30],
                "Name": name,
                "LegalName": name,
                "PaysTax": True,
                "Version": "GLOBAL",
                "OrganisationType": "COMPANY",
                "BaseCurrency": base_currency,
                "CountryCode": "NZ",
                "IsDemoCompany": False,
                "OrganisationStatus": "ACTIVE",
                "FinancialYearEndDay": 31,
                "FinancialYearEndMonth": 3,
                "SalesTaxBasis": "PAYMENTS",
                "SalesTaxPeriod": "TWOMONTHS",
                "DefaultSalesTax": "Tax Exclusive",
                "DefaultPurchasesTax": "Tax Exclusive",
                "CreatedDateUTC": ms_date(now),
                "OrganisationEntityType": "COMPANY",
                "Timezone": "NEWZEALANDSTANDARDTIME",
                "ShortCode": "!" + uuid.uuid4().hex[:5],
                "Edition": "BUSINESS",
                "Class": "PREMIUM",
                "Addresses": [],
                "Phones": [],
                "ExternalLinks": [],
                "PaymentTerms": {},
            }
            self._settings.insert("organisation", organisation, now)
        tax_rates = self._collections["tax_rates"]
        if tax_rates.count() == 0:
            tax_rates.insert_many(
                (rate["TaxType"], dict(rate), now) for rate in models.SEED_TAX_RATES
            )
        accounts = self._collections["accounts"]
        if accounts.count() == 0:
            rows = []
            for code, account_name, kind, klass, tax_type, system in models.SEED_ACCOUNTS:
                account: dict[str, Any] = {
                    "AccountID": str(uuid.uuid4()),
                    "Code": code,
                    "Name": account_name,
                    "Type": kind,
                    "Status": "ACTIVE",
                    "TaxType": tax_type,
                    "Class": klass,
                    "EnablePaymentsToAccount": kind == "BANK",
                    "ShowInExpenseClaims": False,
                    "HasAttachments": False,
                }
                if kind == "BANK":
                    account["BankAccountType"] = "BANK"
                    account["BankAccountNumber"] = "0102030405060708"
                    account["CurrencyCode"] = base_currency
                if system:
                    account["SystemAccount"] = system
                rows.append((account["AccountID"], account, now))
            accounts.insert_many(rows)
        if self._themes.count() == 0:
            self._themes.insert_many(
                (
                    theme_id,
                    {
                        "BrandingThemeID": theme_id,
                        "Name": theme_name,
                        "Type": "INVOICE",
                        "SortOrder": order,
                        "CreatedDateUTC": ms_date(now),
                    },
                    now,
                )
                for theme_name, order in models.SEED_BRANDING_THEMES
                for theme_id in [str(uuid.uuid4())]
            )

    @property
    def organisation(self) -> dict[str, Any]:
        found = self._settings.get("organisation")
        assert found is not None
        return found

    @property
    def tenant_id(self) -> str:
        return str(self.organisation["OrganisationID"])

    @property
    def base_currency(self) -> str:
        return str(self.organisation["BaseCurrency"])

    @property
    def webhook_key(self) -> str:
        return self.webhooks.key

    def branding_themes(self) -> list[dict[str, Any]]:
        return self._themes.find(order_by="seq")

    def _catalogue(self) -> Catalogue:
        rates = {
            doc["TaxType"]: Decimal(str(doc["EffectiveRate"]))
            for doc in self._collections["tax_rates"].find(order_by="seq")
            if doc.get("Status") == "ACTIVE"
        }
        accounts = {
            doc["Code"]: str(doc.get("TaxType") or "")
            for doc in self._collections["accounts"].find(order_by="seq")
        }
        items = self._collections["items"]

        def find_item(code: str) -> dict[str, Any] | None:
            found = items.find_by("Code", [code])
            return found[0] if found else None

        return Catalogue(rates, accounts, find_item)

    # -- rendering -------------------------------------------------------------------------------

    def _render(self, kind: str, rows: Iterable[Row]) -> list[dict[str, Any]]:
        rows = list(rows)
        if kind in ("invoices", "purchase_orders"):
            contact_ids = [str(r.doc.get("Contact", {}).get("ContactID", "")) for r in rows]
            names = {
                c["ContactID"]: c
                for c in self._collections["contacts"].get_many(i for i in contact_ids if i)
            }
            rendered = []
            for row in rows:
                doc = dict(row.doc)
                contact_id = doc.get("Contact", {}).get("ContactID")
                contact = names.get(contact_id or "")
                if contact is not None:
                    doc["Contact"] = {
                        "ContactID": contact["ContactID"],
                        "ContactStatus": contact.get("ContactStatus", "ACTIVE"),
                        "Name": contact["Name"],
                        "HasValidationErrors": False,
                    }
                doc["UpdatedDateUTC"] = ms_date(row.modified)
                rendered.append(doc)
            return rendered
        if kind in ("tax_rates",):
            return [dict(r.doc) for r in rows]
        if kind == "contacts":
            balances = self._balances([r.id for r in rows])
            return [
                {
                    **r.doc,
                    "UpdatedDateUTC": ms_date(r.modified),
                    "Balances": balances.get(r.id, _no_balances()),
                }
                for r in rows
            ]
        return [{**r.doc, "UpdatedDateUTC": ms_date(r.modified)} for r in rows]

    def _balances(self, contact_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Outstanding and overdue sales (ACCREC) and bills (ACCPAY) per contact, as Xero sums
        them: approved invoices' AmountDue, overdue once their due date has passed. Like
        Xero, a payment or a new invoice changes these without touching the contact's
        UpdatedDateUTC."""
        if not contact_ids:
            return {}
        today = self.clock.now().date()
        sums: dict[str, dict[str, dict[str, Decimal]]] = {}
        found = self._collections["invoices"].find(
            {"Contact.ContactID": contact_ids, "Status": ["AUTHORISED", "SUBMITTED"]},
            order_by="seq",
            case_insensitive=True,
        )
        for doc in found:
            contact = str(doc.get("Contact", {}).get("ContactID", "")).lower()
            side = "AccountsReceivable" if doc.get("Type") == "ACCREC" else "AccountsPayable"
            due = Decimal(str(doc.get("AmountDue") or 0))
            totals = sums.setdefault(contact, {}).setdefault(
                side, {"Outstanding": Decimal(0), "Overdue": Decimal(0)}
            )
            totals["Outstanding"] += due
            day = parse_day(str(doc.get("DueDateString") or ""))
            if day is not None and day < today:
                totals["Overdue"] += due
        out: dict[str, dict[str, Any]] = {}
        for contact, by_side in sums.items():
            rendered = _no_balances()
            for side, totals in by_side.items():
                rendered[side] = {k: money(v) for k, v in totals.items()}
            out[contact] = rendered
        return out

    def get(self, kind: Kind, record_id: str) -> dict[str, Any] | None:
        row = self._collections[kind].get_row(record_id.lower())
        return self._render(kind, [row])[0] if row is not None else None

    def contact_by_number(self, number: str) -> dict[str, Any] | None:
        rows = self._collections["contacts"].rows({"ContactNumber": number}, case_insensitive=True)
        return self._render("contacts", rows[:1])[0] if rows else None

    # -- reads -----------------------------------------------------------------------------------

    def query(
        self,
        kind: Kind,
        *,
        ids: list[str] | None = None,
        where: str | None = None,
        modified_since: datetime | None = None,
        order: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        include_archived: bool = True,
        filters: dict[str, list[str]] | None = None,
        search_term: str | None = None,
    ) -> QueryResult:
        """Records as the list endpoints answer them; raises QueryParseError for a bad filter."""
        info = _KINDS[kind]
        collection = self._collections[kind]
        sql_where: dict[str, Any] = {}
        if ids is not None:
            sql_where["id"] = [i.strip().lower() for i in ids if i.strip()]
        for name, values in (filters or {}).items():
            sql_where[name] = values
        if kind == "contacts" and not include_archived:
            sql_where["ContactStatus"] = ["ACTIVE", "GDPRREQUEST"]
        node = parse(where, info.fields, info.type_name) if where and where.strip() else None
        if node is not None:
            lookup = equality_lookup(node)
            if lookup is not None:
                indexed = {name.lower(): name for name in info.indexes}
                column = indexed.get(lookup[0].lower())
                if column is not None and column not in sql_where:
                    sql_where[column] = lookup[1]
        sql_order, python_order = self._order(kind, order)
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE) if page is not None else None
        if node is None and search_term is None and python_order is None:
            total = collection.count(
                sql_where, modified_since=modified_since, case_insensitive=True
            )
            offset = (page - 1) * size if page is not None and size is not None else 0
            rows = collection.rows(
                sql_where,
                modified_since=modified_since,
                order_by=sql_order,
                offset=offset,
                limit=size,
                case_insensitive=True,
            )
            return QueryResult(self._render(kind, rows), total, page, size)
        rows = collection.rows(
            sql_where, modified_since=modified_since, order_by=sql_order, case_insensitive=True
        )
        records = self._render(kind, rows)
        if node is not None:
            records = [r for r in records if matches(node, r)]
        if search_term:
            needle = search_term.casefold()
            records = [
                r
                for r in records
                if any(
                    needle in str(r.get(name) or "").casefold()
                    for name in ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress")
                )
            ]
        if python_order is not None:
            for key, descending in reversed(python_order):
                records.sort(key=_sorter(key), reverse=descending)
        total = len(records)
        if page is not None and size is not None:
            records = records[(page - 1) * size : page * size]
        return QueryResult(records, total, page, size)

    def _order(self, kind: str, order: str | None) -> tuple[str, list[tuple[str, bool]] | None]:
        if not order or not order.strip():
            return "modified", None
        info = _KINDS[kind]
        indexed = {name.lower(): name for name in info.indexes}
        sql_parts: list[str] = []
        python_parts: list[tuple[str, bool]] = []
        all_sql = True
        for piece in order.split(","):
            words = piece.split()
            if not words or len(words) > 2:
                raise QueryParseError(f"Invalid order '{order}'")
            name = words[0]
            direction = words[1].upper() if len(words) == 2 else "ASC"
            if direction not in ("ASC", "DESC"):
                raise QueryParseError(f"Invalid order direction '{words[1]}'")
            if name.lower() not in {f.lower() for f in info.fields}:
                raise QueryParseError(
                    f"No property or field '{name}' exists in type '{info.type_name}'"
                )
            canonical = next(f for f in info.fields if f.lower() == name.lower())
            python_parts.append((canonical, direction == "DESC"))
            if canonical == "UpdatedDateUTC":
                sql_parts.append(f"modified {direction}")
            elif canonical.lower() in indexed:
                sql_parts.append(f"{indexed[canonical.lower()]} {direction}")
            else:
                all_sql = False
        if all_sql:
            return ", ".join(sql_parts), None
        return "modified", python_parts

    # -- writes: contacts ------------------------------------------------------------------------

    def save_contacts(
        self,
        elements: list[dict[str, Any]],
        *,
        create_only: bool = False,
        target_id: str | None = None,
    ) -> list[WriteResult]:
        """PUT (``create_only``) or POST semantics for a batch of contacts."""
        return [self._save_contact(e, create_only, target_id) for e in elements]

    def _save_contact(
        self, element: dict[str, Any], create_only: bool, target_id: str | None
    ) -> WriteResult:
        contacts = self._collections["contacts"]
        with self._lock, self.store.transaction():
            given_id = target_id or element.get("ContactID")
            existing: Row | None = None
            if given_id:
                existing = contacts.get_row(str(given_id).lower())
                if existing is None:
                    return _failed(element, ["Contact could not be found"], "ContactID")
            elif element.get("ContactNumber") and not create_only:
                found = contacts.rows(
                    {"ContactNumber": element["ContactNumber"]}, case_insensitive=True
                )
                existing = found[0] if found else None
            incoming = {k: v for k, v in element.items() if k not in models.CONTACT_READ_ONLY}
            if existing is None:
                contact_id = str(uuid.uuid4())
                doc: dict[str, Any] = {
                    "ContactID": contact_id,
                    "ContactStatus": "ACTIVE",
                    "Addresses": _default_addresses(),
                    "Phones": _default_phones(),
                    "ContactPersons": [],
                    "ContactGroups": [],
                    "IsSupplier": False,
                    "IsCustomer": False,
                    "HasAttachments": False,
                    "HasValidationErrors": False,
                }
            else:
                contact_id = existing.id
                doc = dict(existing.doc)
            incoming.pop("ContactID", None)
            doc.update(incoming)
            errors = self._contact_errors(doc, contact_id)
            if errors:
                return _failed(element, errors, "ContactID", contact_id if existing else None)
            now = self.clock.now()
            if existing is None:
                contacts.insert(contact_id, doc, now)
            else:
                contacts.replace(contact_id, doc, now)
            self.webhooks.emit("CONTACT", "CREATE" if existing is None else "UPDATE", contact_id)
            rendered = self._render("contacts", [Row(contact_id, doc, now, 0)])[0]
        rendered["StatusAttributeString"] = "OK"
        return WriteResult(rendered, [], contact_id)

    def _contact_errors(self, doc: dict[str, Any], contact_id: str) -> list[str]:
        errors: list[str] = []
        name = str(doc.get("Name") or "").strip()
        if not name:
            errors.append("The contact name must be specified.")
        elif len(name) > 255:
            errors.append("The Name field must not be more than 255 characters long.")
        if len(str(doc.get("ContactNumber") or "")) > 50:
            errors.append("The ContactNumber field must not be more than 50 characters long.")
        if len(str(doc.get("AccountNumber") or "")) > 50:
            errors.append("The AccountNumber field must not be more than 50 characters long.")
        email = doc.get("EmailAddress")
        if email and not _EMAIL.match(str(email)):
            errors.append("Email address must be valid.")
        persons = doc.get("ContactPersons") or []
        if len(persons) > 5:
            errors.append("A maximum of 5 contact persons are allowed per contact.")
        for person in persons:
            if person.get("EmailAddress") and not _EMAIL.match(str(person["EmailAddress"])):
                errors.append("Email address must be valid.")
                break
        status = doc.get("ContactStatus", "ACTIVE")
        if status not in models.CONTACT_STATUSES:
            errors.append(f"The ContactStatus '{status}' is not valid.")
        if name and status == "ACTIVE":
            clashes = self._collections["contacts"].rows(
                {"Name": name, "ContactStatus": "ACTIVE"}, case_insensitive=True
            )
            if any(row.id != contact_id for row in clashes):
                errors.append(
                    f"The contact name {name} is already assigned to another contact. "
                    "The contact name must be unique across all active contacts."
                )
        return errors

    def _mark_contact(self, contact_id: str, flag: str) -> None:
        # IsCustomer / IsSupplier change without bumping UpdatedDateUTC, like Xero
        contacts = self._collections["contacts"]
        row = contacts.get_row(contact_id)
        if row is not None and not row.doc.get(flag):
            contacts.replace(contact_id, {**row.doc, flag: True}, None)

    # -- writes: items ---------------------------------------------------------------------------

    def save_items(
        self,
        elements: list[dict[str, Any]],
        *,
        create_only: bool = False,
        target_id: str | None = None,
    ) -> list[WriteResult]:
        return [self._save_item(e, create_only, target_id) for e in elements]

    def _save_item(
        self, element: dict[str, Any], create_only: bool, target_id: str | None
    ) -> WriteResult:
        items = self._collections["items"]
        with self._lock, self.store.transaction():
            code = str(element.get("Code") or "").strip()
            given_id = target_id or element.get("ItemID")
            existing: Row | None = None
            if given_id:
                existing = items.get_row(str(given_id).lower())
                if existing is None:
                    return _failed(element, ["Item could not be found"], "ItemID")
            elif code:
                by_code = items.rows({"Code": code}, case_insensitive=True)
                if by_code and create_only:
                    return _failed(
                        element, [f"Price List Item with Code '{code}' already exists"], "ItemID"
                    )
                existing = by_code[0] if by_code else None
            incoming = {
                k: v
                for k, v in element.items()
                if k
                not in ("ItemID", "UpdatedDateUTC", "ValidationErrors", "StatusAttributeString")
            }
            if existing is None:
                item_id = str(uuid.uuid4())
                doc: dict[str, Any] = {
                    "ItemID": item_id,
                    "IsSold": True,
                    "IsPurchased": True,
                    "IsTrackedAsInventory": False,
                }
            else:
                item_id = existing.id
                doc = dict(existing.doc)
            doc.update(incoming)
            errors: list[str] = []
            final_code = str(doc.get("Code") or "").strip()
            if not final_code:
                errors.append("Item code must be specified.")
            elif len(final_code) > 30:
                errors.append("The Code field must not be more than 30 characters long.")
            else:
                clash = items.rows({"Code": final_code}, case_insensitive=True)
                if any(row.id != item_id for row in clash):
                    errors.append(f"Price List Item with Code '{final_code}' already exists")
            if len(str(doc.get("Name") or "")) > 50:
                errors.append("The Name field must not be more than 50 characters long.")
            if "SalesDetails" in element:
                doc["IsSold"] = bool(element.get("IsSold", True))
            if "PurchaseDetails" in element:
                doc["IsPurchased"] = bool(element.get("IsPurchased", True))
            if errors:
                return _failed(element, errors, "ItemID", item_id if existing else None)
            now = self.clock.now()
            if existing is None:
                items.insert(item_id, doc, now)
            else:
                items.replace(item_id, doc, now)
            rendered = {**doc, "UpdatedDateUTC": ms_date(now)}
        rendered["StatusAttributeString"] = "OK"
        return WriteResult(rendered, [], item_id)

    def delete_item(self, item_id: str) -> bool:
        with self._lock:
            return self._collections["items"].delete(item_id.lower())

    # -- writes: invoices and purchase orders ----------------------------------------------------

    def save_invoices(
        self,
        elements: list[dict[str, Any]],
        *,
        create_only: bool = False,
        target_id: str | None = None,
    ) -> list[WriteResult]:
        return [self._save_document("invoices", e, target_id, create_only) for e in elements]

    def save_purchase_orders(
        self,
        elements: list[dict[str, Any]],
        *,
        create_only: bool = False,
        target_id: str | None = None,
    ) -> list[WriteResult]:
        return [self._save_document("purchase_orders", e, target_id, create_only) for e in elements]

    def _resolve_contact(self, given: Any) -> tuple[str | None, str | None]:
        """The contact a document names: by ContactID, ContactNumber, or Name (made if new)."""
        if not isinstance(given, dict) or not given:
            return None, "A Contact must be specified for this type of transaction"
        contacts = self._collections["contacts"]
        if given.get("ContactID"):
            row = contacts.get_row(str(given["ContactID"]).lower())
            return (row.id, None) if row else (None, "Contact could not be found")
        if given.get("ContactNumber"):
            rows = contacts.rows({"ContactNumber": given["ContactNumber"]}, case_insensitive=True)
            if rows:
                return rows[0].id, None
        name = str(given.get("Name") or "").strip()
        if not name:
            return None, "A Contact must be specified for this type of transaction"
        rows = contacts.rows({"Name": name, "ContactStatus": "ACTIVE"}, case_insensitive=True)
        if rows:
            return rows[0].id, None
        made = self._save_contact({k: v for k, v in given.items() if k != "ContactID"}, True, None)
        return (made.record_id, None) if made.ok else (None, "; ".join(made.errors))

    def _save_document(
        self,
        kind: Literal["invoices", "purchase_orders"],
        element: dict[str, Any],
        target: str | None,
        create_only: bool = False,
    ) -> WriteResult:
        invoice = kind == "invoices"
        id_name = "InvoiceID" if invoice else "PurchaseOrderID"
        number_name = "InvoiceNumber" if invoice else "PurchaseOrderNumber"
        collection = self._collections[kind]
        with self._lock, self.store.transaction():
            given_id = target or element.get(id_name)
            existing: Row | None = None
            if given_id:
                existing = collection.get_row(str(given_id).lower())
                if existing is None:
                    noun = "Invoice" if invoice else "Purchase Order"
                    return _failed(element, [f"{noun} could not be found"], id_name)
            elif (
                invoice
                and not create_only
                and element.get("InvoiceNumber")
                and element.get("Type") == "ACCREC"
            ):
                # POST with a known number updates that invoice, as Xero does
                found = collection.rows(
                    {"InvoiceNumber": element["InvoiceNumber"], "Type": "ACCREC"},
                    case_insensitive=True,
                )
                existing = found[0] if found else None
            errors: list[str] = []
            old = dict(existing.doc) if existing else {}
            old_status = old.get("Status")
            record_id = existing.id if existing else str(uuid.uuid4())
            skip = models.INVOICE_READ_ONLY | {id_name}
            doc = {**old, **{k: v for k, v in element.items() if k not in skip}}
            doc[id_name] = record_id
            if invoice:
                if doc.get("Type") not in models.INVOICE_TYPES:
                    errors.append("Invoice Type must be ACCREC or ACCPAY.")
                elif existing and old.get("Type") != doc["Type"]:
                    errors.append("The Type of an invoice cannot be changed.")
            status = str(doc.get("Status") or "DRAFT")
            doc["Status"] = status
            transitions = (
                models.INVOICE_TRANSITIONS if invoice else models.PURCHASE_ORDER_TRANSITIONS
            )
            creatable = (
                models.INVOICE_CREATE_STATUSES if invoice else models.PURCHASE_ORDER_CREATE_STATUSES
            )
            if existing is None and status not in creatable:
                errors.append(f"Status '{status}' is not valid for a new document.")
            elif existing is not None and status not in transitions.get(str(old_status), set()):
                if invoice and old_status in ("PAID", "VOIDED", "DELETED"):
                    errors.append("Invoice not of valid status for modification")
                elif invoice and old_status == "AUTHORISED" and old.get("AmountPaid"):
                    errors.append(
                        "This document cannot be edited as it has a payment or credit note "
                        "allocated to it."
                    )
                else:
                    errors.append(f"The status cannot be changed from {old_status} to {status}.")
            if (
                invoice
                and existing is not None
                and old.get("AmountPaid")
                and "LineItems" in element
            ):
                errors.append(
                    "This document cannot be edited as it has a payment or credit note "
                    "allocated to it."
                )
            contact_id, contact_error = (
                self._resolve_contact(element["Contact"])
                if "Contact" in element
                else (old.get("Contact", {}).get("ContactID"), None)
            )
            if contact_error or not contact_id:
                errors.append(
                    contact_error or "A Contact must be specified for this type of transaction"
                )
            else:
                doc["Contact"] = {"ContactID": contact_id}
            line_types = str(doc.get("LineAmountTypes") or "Exclusive")
            if line_types not in models.LINE_AMOUNT_TYPES:
                errors.append(f"LineAmountTypes '{line_types}' is not valid.")
                line_types = "Exclusive"
            doc["LineAmountTypes"] = line_types
            sales = doc.get("Type") == "ACCREC" if invoice else False
            totals = compute(
                list(doc.get("LineItems") or []),
                line_types,
                sales=sales,
                catalogue=self._catalogue(),
                allow_discounts=sales or not invoice,
            )
            errors += totals.errors
            for name in ("Date", "DueDate", "DeliveryDate", "ExpectedArrivalDate"):
                if name in element and element[name] not in (None, ""):
                    day = parse_day(str(element[name]))
                    if day is None:
                        errors.append(f"{name} '{element[name]}' is not a valid date.")
                    else:
                        doc.update(_day_fields(name, day))
            if "Date" not in doc:
                doc.update(_day_fields("Date", self.clock.now().date()))
            theme = doc.get("BrandingThemeID")
            if theme and not self._themes.get(str(theme)):
                errors.append("Branding theme could not be found.")
            number = str(doc.get(number_name) or "").strip()
            unique_numbers = not invoice or doc.get("Type") == "ACCREC"
            if number and unique_numbers:
                where: dict[str, Any] = {number_name: number}
                if invoice:
                    where["Type"] = "ACCREC"
                clashes = collection.rows(where, case_insensitive=True)
                if any(r.id != record_id and r.doc.get("Status") != "DELETED" for r in clashes):
                    errors.append(
                        "Invoice # must be unique." if invoice else "Order number must be unique"
                    )
            if errors:
                return _failed(element, errors, id_name, record_id if existing else None)
            if not number and unique_numbers:
                number = self._next_number(kind)
            if number:
                doc[number_name] = number
            doc["CurrencyCode"] = doc.get("CurrencyCode") or self.base_currency
            doc.setdefault("CurrencyRate", 1.0)
            doc["LineItems"] = totals.lines
            doc["SubTotal"] = money(totals.sub_total)
            doc["TotalTax"] = money(totals.total_tax)
            doc["Total"] = money(totals.total)
            if totals.total_discount:
                doc["TotalDiscount"] = money(totals.total_discount)
            doc.setdefault("HasAttachments", False)
            doc.setdefault("SentToContact", False)
            if invoice:
                paid = Decimal(str(doc.get("AmountPaid") or 0))
                doc["AmountPaid"] = money(paid)
                doc["AmountDue"] = money(totals.total - paid)
                doc.setdefault("AmountCredited", 0.0)
                doc.setdefault("Payments", [])
                doc["IsDiscounted"] = bool(totals.total_discount)
                doc["HasErrors"] = False
            now = self.clock.now()
            if existing is None:
                collection.insert(record_id, doc, now)
            else:
                collection.replace(record_id, doc, now)
            if invoice and status in ("AUTHORISED", "PAID") and contact_id:
                self._mark_contact(
                    contact_id, "IsCustomer" if doc["Type"] == "ACCREC" else "IsSupplier"
                )
            if invoice:
                self.webhooks.emit("INVOICE", "CREATE" if existing is None else "UPDATE", record_id)
            rendered = self._render(kind, [Row(record_id, doc, now, 0)])[0]
        rendered["StatusAttributeString"] = "OK"
        return WriteResult(rendered, [], record_id)

    def _next_number(self, kind: str) -> str:
        prefix = "INV" if kind == "invoices" else "PO"
        field_name = "InvoiceNumber" if kind == "invoices" else "PurchaseOrderNumber"
        collection = self._collections[kind]
        while True:
            candidate = f"{prefix}-{self.store.next_value(f'{kind}_number'):04d}"
            if not collection.rows({field_name: candidate}, case_insensitive=True):
                return candidate

    def add_payment(
        self,
        invoice_id: str,
        amount: float | Decimal,
        *,
        on: date | None = None,
        account_code: str = "090",
        reference: str | None = None,
    ) -> dict[str, Any]:
        """Record a payment against an AUTHORISED invoice; fully paid makes it PAID."""
        invoices = self._collections["invoices"]
        with self._lock, self.store.transaction():
            row = invoices.get_row(invoice_id.lower())
            if row is None:
                raise XeroValidationError(["Invoice could not be found"])
            doc = dict(row.doc)
            if doc.get("Status") != "AUTHORISED":
                raise XeroValidationError(
                    ["Payments can only be made against Authorised documents."]
                )
            value = Decimal(str(amount))
            due = Decimal(str(doc["AmountDue"]))
            if value <= 0 or value > due:
                raise XeroValidationError(
                    ["Payment amount exceeds the amount outstanding on this document."]
                )
            if account_code not in {a["Code"] for a in self._collections["accounts"].find()}:
                raise XeroValidationError([f"Account code '{account_code}' is not valid."])
            day = on or self.clock.now().date()
            payment: dict[str, Any] = {
                "PaymentID": str(uuid.uuid4()),
                "Date": ms_day(day),
                "Amount": money(value),
                "CurrencyRate": 1.0,
                "HasAccount": False,
                "HasValidationErrors": False,
            }
            if reference:
                payment["Reference"] = reference
            doc["Payments"] = [*doc.get("Payments", []), payment]
            doc["AmountPaid"] = money(Decimal(str(doc.get("AmountPaid") or 0)) + value)
            doc["AmountDue"] = money(due - value)
            if due - value == 0:
                doc["Status"] = "PAID"
                doc["FullyPaidOnDate"] = ms_day(day)
            invoices.replace(row.id, doc, self.clock.now())
            self.webhooks.emit("INVOICE", "UPDATE", row.id)
        found = self.get("invoices", row.id)
        assert found is not None
        return found

    # -- direct helpers for tests and seed data --------------------------------------------------

    def _one(self, results: list[WriteResult]) -> dict[str, Any]:
        result = results[0]
        if not result.ok:
            raise XeroValidationError(result.errors)
        element = dict(result.element)
        element.pop("StatusAttributeString", None)
        return element

    def add_contact(self, **fields: Any) -> dict[str, Any]:
        return self._one(self.save_contacts([fields], create_only=True))

    def edit_contact(self, contact_id: str, **fields: Any) -> dict[str, Any]:
        return self._one(self.save_contacts([fields], target_id=contact_id))

    def add_tax_rate(self, name: str, rate: float) -> str:
        """A custom sales and purchases tax rate, typed ``TAX001``... as Xero types them."""
        collection = self._collections["tax_rates"]
        with self._lock, self.store.transaction():
            number = sum(1 for d in collection.find() if str(d["TaxType"]).startswith("TAX")) + 1
            tax_type = f"TAX{number:03d}"
            doc = dict(models.custom_tax_rate(tax_type, name, rate))
            collection.insert(tax_type, doc, self.clock.now())
        return tax_type

    def archive_contact(self, contact_id: str) -> dict[str, Any]:
        return self.edit_contact(contact_id, ContactStatus="ARCHIVED")

    def add_item(self, **fields: Any) -> dict[str, Any]:
        return self._one(self.save_items([fields], create_only=True))

    def edit_item(self, item_id: str, **fields: Any) -> dict[str, Any]:
        return self._one(self.save_items([fields], target_id=item_id))

    def add_invoice(self, **fields: Any) -> dict[str, Any]:
        return self._one(self.save_invoices([fields], create_only=True))

    def edit_invoice(self, invoice_id: str, **fields: Any) -> dict[str, Any]:
        return self._one(self.save_invoices([fields], target_id=invoice_id))

    def add_purchase_order(self, **fields: Any) -> dict[str, Any]:
        return self._one(self.save_purchase_orders([fields], create_only=True))

    def edit_purchase_order(self, purchase_order_id: str, **fields: Any) -> dict[str, Any]:
        return self._one(self.save_purchase_orders([fields], target_id=purchase_order_id))

    def online_invoice_code(self, invoice_id: str) -> str:
        """The stable token of an invoice's online link."""
        digest = hashlib.sha256(f"{self.tenant_id}:{invoice_id}".encode()).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:40]

    def all(self, kind: Kind) -> list[dict[str, Any]]:
        """Every record of ``kind`` as the API renders it, oldest first."""
        return self._render(kind, self._collections[kind].rows(order_by="seq"))

    def count(self, kind: Kind) -> int:
        return self._collections[kind].count()

    def close(self) -> None:
        self.webhooks.stop()
        self.store.close()


def _sorter(name: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    def key(record: dict[str, Any]) -> tuple[int, Any]:
        return _sort_key(record.get(name))

    return key


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, str):
        return (1, value.casefold())
    if isinstance(value, bool | int | float):
        return (2, value)
    return (3, str(value))


def _failed(
    element: dict[str, Any], errors: list[str], id_name: str, record_id: str | None = None
) -> WriteResult:
    echoed = dict(element)
    if record_id is not None:
        echoed[id_name] = record_id
    echoed["StatusAttributeString"] = "ERROR"
    echoed["ValidationErrors"] = [{"Message": message} for message in errors]
    if id_name == "ContactID":
        echoed["HasValidationErrors"] = True
    elif id_name == "InvoiceID":
        echoed["HasErrors"] = True
    return WriteResult(echoed, errors, record_id)
