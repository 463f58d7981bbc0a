"""Xero's vocabulary: property names, statuses and their changes, and the seeded settings."""

from __future__ import annotations

from typing import Any, Final

CONTACT_FIELDS: Final = frozenset(
    (
        "ContactID", "MergedToContactID", "ContactNumber", "AccountNumber", "ContactStatus",
        "Name", "FirstName", "LastName", "CompanyNumber", "EmailAddress", "ContactPersons",
        "BankAccountDetails", "TaxNumber", "TaxNumberType", "AccountsReceivableTaxType",
        "AccountsPayableTaxType", "Addresses", "Phones", "IsSupplier", "IsCustomer",
        "SalesDefaultLineAmountType", "PurchasesDefaultLineAmountType", "DefaultCurrency",
        "XeroNetworkKey", "SalesDefaultAccountCode", "PurchasesDefaultAccountCode",
        "SalesTrackingCategories", "PurchasesTrackingCategories", "TrackingCategoryName",
        "TrackingCategoryOption", "PaymentTerms", "UpdatedDateUTC", "ContactGroups", "Website",
        "BrandingTheme", "BatchPayments", "Discount", "Balances", "Attachments", "HasAttachments",
        "ValidationErrors", "HasValidationErrors", "StatusAttributeString",
    )
)  # fmt: skip
ITEM_FIELDS: Final = frozenset(
    (
        "Code", "InventoryAssetAccountCode", "Name", "IsSold", "IsPurchased", "Description",
        "PurchaseDescription", "PurchaseDetails", "SalesDetails", "IsTrackedAsInventory",
        "TotalCostPool", "QuantityOnHand", "UpdatedDateUTC", "ItemID", "StatusAttributeString",
        "ValidationErrors",
    )
)  # fmt: skip
INVOICE_FIELDS: Final = frozenset(
    (
        "Type", "Contact", "LineItems", "Date", "DueDate", "LineAmountTypes", "InvoiceNumber",
        "Reference", "BrandingThemeID", "Url", "CurrencyCode", "CurrencyRate", "Status",
        "SentToContact", "ExpectedPaymentDate", "PlannedPaymentDate", "CISDeduction", "CISRate",
        "SubTotal", "TotalTax", "Total", "TotalDiscount", "InvoiceID", "RepeatingInvoiceID",
        "HasAttachments", "IsDiscounted", "Payments", "Prepayments", "Overpayments", "AmountDue",
        "AmountPaid", "FullyPaidOnDate", "AmountCredited", "UpdatedDateUTC",
        "UpdatedDateUTCString", "CreditNotes", "Attachments", "HasErrors",
        "StatusAttributeString", "ValidationErrors", "Warnings", "InvoiceAddresses",
    )
)  # fmt: skip
PURCHASE_ORDER_FIELDS: Final = frozenset(
    (
        "Contact", "LineItems", "Date", "DeliveryDate", "LineAmountTypes", "PurchaseOrderNumber",
        "Reference", "BrandingThemeID", "CurrencyCode", "Status", "SentToContact",
        "DeliveryAddress", "AttentionTo", "Telephone", "DeliveryInstructions",
        "ExpectedArrivalDate", "PurchaseOrderID", "CurrencyRate", "SubTotal", "TotalTax", "Total",
        "TotalDiscount", "HasAttachments", "UpdatedDateUTC", "StatusAttributeString",
        "ValidationErrors", "Warnings", "Attachments",
    )
)  # fmt: skip
TAX_RATE_FIELDS: Final = frozenset(
    (
        "Name", "TaxType", "TaxComponents", "Status", "ReportTaxType", "CanApplyToAssets",
        "CanApplyToEquity", "CanApplyToExpenses", "CanApplyToLiabilities", "CanApplyToRevenue",
        "DisplayTaxRate", "EffectiveRate",
    )
)  # fmt: skip
ACCOUNT_FIELDS: Final = frozenset(
    (
        "Code", "Name", "AccountID", "Type", "BankAccountNumber", "Status", "Description",
        "BankAccountType", "CurrencyCode", "TaxType", "EnablePaymentsToAccount",
        "ShowInExpenseClaims", "Class", "SystemAccount", "ReportingCode", "ReportingCodeName",
        "HasAttachments", "UpdatedDateUTC", "AddToWatchlist", "ValidationErrors",
    )
)  # fmt: skip

# properties a client may send but Xero computes or ignores
CONTACT_READ_ONLY: Final = frozenset(
    {
        "IsSupplier", "IsCustomer", "UpdatedDateUTC", "Balances", "HasAttachments",
        "HasValidationErrors", "ValidationErrors", "StatusAttributeString", "Website",
        "Discount", "BatchPayments", "MergedToContactID",
    }
)  # fmt: skip
INVOICE_READ_ONLY: Final = frozenset(
    {
        "SubTotal", "TotalTax", "Total", "TotalDiscount", "AmountDue", "AmountPaid",
        "AmountCredited", "FullyPaidOnDate", "Payments", "Prepayments", "Overpayments",
        "CreditNotes", "UpdatedDateUTC", "UpdatedDateUTCString", "HasAttachments", "HasErrors",
        "IsDiscounted", "StatusAttributeString", "ValidationErrors", "Warnings", "CISDeduction",
        "CISRate", "DateString", "DueDateString",
    }
)  # fmt: skip

CONTACT_STATUSES: Final = ("ACTIVE", "ARCHIVED", "GDPRREQUEST")
INVOICE_TYPES: Final = ("ACCREC", "ACCPAY")
LINE_AMOUNT_TYPES: Final = ("Exclusive", "Inclusive", "NoTax")

# allowed status changes of an invoice through the API (PAID only comes from payments)
INVOICE_TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "DRAFT": frozenset({"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"}),
    "SUBMITTED": frozenset({"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"}),
    "AUTHORISED": frozenset({"AUTHORISED", "VOIDED"}),
    "PAID": frozenset(),
    "VOIDED": frozenset(),
    "DELETED": frozenset(),
}
INVOICE_CREATE_STATUSES: Final = frozenset({"DRAFT", "SUBMITTED", "AUTHORISED"})
PURCHASE_ORDER_TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "DRAFT": frozenset({"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"}),
    "SUBMITTED": frozenset({"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"}),
    "AUTHORISED": frozenset({"AUTHORISED", "BILLED", "DELETED"}),
    "BILLED": frozenset({"BILLED", "AUTHORISED"}),
    "DELETED": frozenset(),
}
PURCHASE_ORDER_CREATE_STATUSES: Final = frozenset({"DRAFT", "SUBMITTED", "AUTHORISED"})


def _tax_rate(tax_type: str, name: str, rate: float, report: str) -> dict[str, Any]:
    return {
        "Name": name,
        "TaxType": tax_type,
        "ReportTaxType": report,
        "CanApplyToAssets": True,
        "CanApplyToEquity": True,
        "CanApplyToExpenses": True,
        "CanApplyToLiabilities": True,
        "CanApplyToRevenue": True,
        "DisplayTaxRate": rate,
        "EffectiveRate": rate,
        "Status": "ACTIVE",
        "TaxComponents": [
            {"Name": name, "Rate": rate, "IsCompound": False, "IsNonRecoverable": False}
        ],
    }


def custom_tax_rate(tax_type: str, name: str, rate: float) -> dict[str, Any]:
    return _tax_rate(tax_type, name, rate, "OUTPUT")


SEED_TAX_RATES: Final = (
    _tax_rate("OUTPUT", "GST on Income", 15.0, "OUTPUT"),
    _tax_rate("INPUT", "GST on Expenses", 15.0, "INPUT"),
    _tax_rate("NONE", "No GST", 0.0, "NONE"),
    _tax_rate("EXEMPTOUTPUT", "Zero Rated Income", 0.0, "EXEMPTOUTPUT"),
    _tax_rate("EXEMPTINPUT", "Zero Rated Expenses", 0.0, "EXEMPTINPUT"),
    _tax_rate("ZERORATEDOUTPUT", "Zero Rated Exports", 0.0, "OUTPUT"),
    _tax_rate("INPUT2", "GST on Imports", 15.0, "GSTONIMPORTS"),
)

# (code, name, type, class, tax type, system account)
SEED_ACCOUNTS: Final = (
    ("090", "Business Bank Account", "BANK", "ASSET", "NONE", None),
    ("200", "Sales", "REVENUE", "REVENUE", "OUTPUT", None),
    ("260", "Other Revenue", "REVENUE", "REVENUE", "OUTPUT", None),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", "INPUT", None),
    ("400", "Advertising", "OVERHEADS", "EXPENSE", "INPUT", None),
    ("429", "General Expenses", "OVERHEADS", "EXPENSE", "INPUT", None),
    ("610", "Accounts Receivable", "CURRENT", "ASSET", "NONE", "DEBTORS"),
    ("630", "Inventory", "INVENTORY", "ASSET", "NONE", None),
    ("800", "Accounts Payable", "CURRLIAB", "LIABILITY", "NONE", "CREDITORS"),
    ("820", "GST", "CURRLIAB", "LIABILITY", "NONE", "GST"),
)

SEED_BRANDING_THEMES: Final = (("Standard", 0), ("Special Projects", 1))
