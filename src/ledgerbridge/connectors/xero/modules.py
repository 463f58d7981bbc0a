"""The Xero endpoints ledgerbridge reads and writes, and what their records hold.

Xero has no field-metadata endpoint and no custom fields on these records, so the field lists
below are taken from the Accounting API spec (v2.0); ``describe()`` serves them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import FieldInfo, ModuleInfo


@dataclass(frozen=True, slots=True)
class ModuleSpec:
    """How one Xero endpoint behaves."""

    name: str  # the path segment and the answer's list key ("Contacts")
    id_field: str  # the record's id ("ContactID")
    writable: bool = True
    paged: bool = False  # page / pageSize (up to 1000)
    modified_since: bool = True  # honours If-Modified-Since and order=UpdatedDateUTC
    include_archived: bool = False  # Contacts: archived ones are left out unless asked for
    where: bool = True  # takes a ``where`` filter (PurchaseOrders and BrandingThemes do not)
    ids_param: bool = False  # takes ``IDs=`` (Contacts, Invoices)
    # The field Xero keeps unique ("already exists" answers), to find the duplicate's id.
    unique_field: str | None = None


MODULES: dict[str, ModuleSpec] = {
    spec.name: spec
    for spec in (
        ModuleSpec(
            "Contacts",
            "ContactID",
            paged=True,
            include_archived=True,
            ids_param=True,
            unique_field="Name",
        ),
        # Items are not paged: one call answers all of them.
        ModuleSpec("Items", "ItemID", unique_field="Code"),
        ModuleSpec(
            "Invoices", "InvoiceID", paged=True, ids_param=True, unique_field="InvoiceNumber"
        ),
        # The spec gives GET /PurchaseOrders no where and no IDs: lookups read by id or number.
        ModuleSpec(
            "PurchaseOrders",
            "PurchaseOrderID",
            paged=True,
            where=False,
            unique_field="PurchaseOrderNumber",
        ),
        ModuleSpec("TaxRates", "TaxType", writable=False, modified_since=False),
        ModuleSpec("Accounts", "AccountID", writable=False),
        ModuleSpec(
            "BrandingThemes", "BrandingThemeID", writable=False, modified_since=False, where=False
        ),
    )
}


def module_spec(name: str, *, write: bool = False) -> ModuleSpec:
    spec = MODULES.get(name)
    if spec is None:
        known = ", ".join(MODULES)
        raise ConfigError(f"Xero has no module {name!r} here; the modules are {known}")
    if write and not spec.writable:
        raise ConfigError(f"Xero's {name} are read-only through the API")
    return spec


_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z][a-z]*|\d+")


def _label(name: str) -> str:
    words = _WORD.findall(name)
    return " ".join(words) if words else name


def _f(
    name: str,
    kind: str = "text",
    *,
    required: bool = False,
    read_only: bool = False,
    picklist: tuple[str, ...] = (),
    lookup: str | None = None,
) -> FieldInfo:
    return FieldInfo(
        name=name,
        label=_label(name),
        type=kind,
        required=required,
        read_only=read_only,
        picklist=picklist,
        lookup_module=lookup,
    )


_MONEY_TOTALS = tuple(
    _f(n, "decimal", read_only=True) for n in ("SubTotal", "TotalTax", "Total", "TotalDiscount")
)
_DOCUMENT_COMMON = (
    _f("Contact", "lookup", required=True, lookup="Contacts"),
    _f("LineItems", "subform"),
    _f("Date", "date"),
    _f("LineAmountTypes", "picklist", picklist=("Exclusive", "Inclusive", "NoTax")),
    _f("Reference"),
    _f("BrandingThemeID", "lookup", lookup="BrandingThemes"),
    _f("CurrencyCode", "picklist"),
    _f("CurrencyRate", "decimal"),
    _f("SentToContact", "boolean"),
    *_MONEY_TOTALS,
    _f("UpdatedDateUTC", "datetime", read_only=True),
)

FIELDS: dict[str, tuple[FieldInfo, ...]] = {
    "Contacts": (
        _f("ContactID", read_only=True),
        _f("ContactNumber"),
        _f("AccountNumber"),
        _f("ContactStatus", "picklist", picklist=("ACTIVE", "ARCHIVED", "GDPRREQUEST")),
        _f("Name", required=True),
        _f("FirstName"),
        _f("LastName"),
        _f("EmailAddress", "email"),
        _f("CompanyNumber"),
        _f("TaxNumber"),
        _f("BankAccountDetails"),
        _f("AccountsReceivableTaxType", "lookup", lookup="TaxRates"),
        _f("AccountsPayableTaxType", "lookup", lookup="TaxRates"),
        _f("SalesDefaultAccountCode", "lookup", lookup="Accounts"),
        _f("PurchasesDefaultAccountCode", "lookup", lookup="Accounts"),
        _f("DefaultCurrency", "picklist"),
        _f("ContactPersons", "subform"),
        _f("Addresses", "subform"),
        _f("Phones", "subform"),
        _f("PaymentTerms", "object"),
        _f("IsCustomer", "boolean", read_only=True),
        _f("IsSupplier", "boolean", read_only=True),
        _f("Balances", "object", read_only=True),
        _f("Website", "url", read_only=True),
        _f("UpdatedDateUTC", "datetime", read_only=True),
    ),
    "Items": (
        _f("ItemID", read_only=True),
        _f("Code", required=True),
        _f("Name"),
        _f("Description", "textarea"),
        _f("PurchaseDescription", "textarea"),
        _f("SalesDetails", "object"),
        _f("PurchaseDetails", "object"),
        _f("IsSold", "boolean"),
        _f("IsPurchased", "boolean"),
        _f("IsTrackedAsInventory", "boolean"),
        _f("InventoryAssetAccountCode", "lookup", lookup="Accounts"),
        _f("QuantityOnHand", "decimal", read_only=True),
        _f("TotalCostPool", "decimal", read_only=True),
        _f("UpdatedDateUTC", "datetime", read_only=True),
    ),
    "Invoices": (
        _f("InvoiceID", read_only=True),
        _f("Type", "picklist", required=True, picklist=("ACCREC", "ACCPAY")),
        _f("InvoiceNumber"),
        _f(
            "Status",
            "picklist",
            picklist=("DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED"),
        ),
        _f("DueDate", "date"),
        _f("ExpectedPaymentDate", "date"),
        _f("PlannedPaymentDate", "date"),
        _f("Url", "url"),
        _f("AmountDue", "decimal", read_only=True),
        _f("AmountPaid", "decimal", read_only=True),
        _f("AmountCredited", "decimal", read_only=True),
        _f("FullyPaidOnDate", "date", read_only=True),
        *_DOCUMENT_COMMON,
    ),
    "PurchaseOrders": (
        _f("PurchaseOrderID", read_only=True),
        _f("PurchaseOrderNumber"),
        _f(
            "Status",
            "picklist",
            picklist=("DRAFT", "SUBMITTED", "AUTHORISED", "BILLED", "DELETED"),
        ),
        _f("DeliveryDate", "date"),
        _f("ExpectedArrivalDate", "date"),
        _f("DeliveryAddress", "textarea"),
        _f("AttentionTo"),
        _f("Telephone", "phone"),
        _f("DeliveryInstructions", "textarea"),
        *_DOCUMENT_COMMON,
    ),
    "TaxRates": (
        _f("TaxType", read_only=True),
        _f("Name", read_only=True),
        _f("EffectiveRate", "decimal", read_only=True),
        _f("Status", "picklist", read_only=True, picklist=("ACTIVE", "DELETED", "ARCHIVED")),
    ),
    "Accounts": (
        _f("AccountID", read_only=True),
        _f("Code", read_only=True),
        _f("Name", read_only=True),
        _f("Type", "picklist", read_only=True),
        _f("TaxType", "lookup", read_only=True, lookup="TaxRates"),
        _f("Status", "picklist", read_only=True, picklist=("ACTIVE", "ARCHIVED")),
    ),
    "BrandingThemes": (
        _f("BrandingThemeID", read_only=True),
        _f("Name", read_only=True),
        _f("SortOrder", "number", read_only=True),
    ),
}


def module_infos() -> tuple[ModuleInfo, ...]:
    return tuple(ModuleInfo(name, _label(name), FIELDS[name]) for name in MODULES)
