"""The record kinds of the emulator and how each is listed and searched."""

from __future__ import annotations

from ledgerbridge.sandbox.zoho_books.listing import Module

_COMMON_SORTS = {"created_time": "created_ms", "last_modified_time": "modified_ms"}

CONTACTS = Module(
    kind="contacts",
    singular="contact",
    label="Contact",
    report_name="Contacts",
    default_sort="contact_name",
    default_order="A",
    sort_columns={
        "contact_name": "name_key",
        "company_name": "company_key",
        "email": "email_key",
        **_COMMON_SORTS,  # type: ignore[dict-item]
    },
    text_filters={"contact_name": "name_key", "company_name": "company_key", "email": "email_key"},
    exact_filters={"contact_type": "ctype"},
    status_filters={
        "Status.All": ("*",),
        "Status.Active": ("active",),
        "Status.Inactive": ("inactive",),
    },
    list_omit=("contact_persons", "billing_address", "shipping_address", "notes"),
)

ITEMS = Module(
    kind="items",
    singular="item",
    label="Item",
    report_name="Items",
    default_sort="name",
    default_order="A",
    sort_columns={"name": "name_key", "sku": "sku_key", **_COMMON_SORTS},  # type: ignore[dict-item]
    text_filters={"name": "name_key", "sku": "sku_key"},
    exact_filters={"product_type": "ctype"},
    status_filters={
        "Status.All": ("*",),
        "Status.Active": ("active",),
        "Status.Inactive": ("inactive",),
    },
)

INVOICES = Module(
    kind="invoices",
    singular="invoice",
    label="Invoice",
    report_name="Invoices",
    default_sort="created_time",
    default_order="D",
    sort_columns={
        "invoice_number": "number_key",
        "customer_name": "name_key",
        "date": "date_key",
        "due_date": "due_key",
        **_COMMON_SORTS,  # type: ignore[dict-item]
    },
    text_filters={"invoice_number": "number_key", "customer_name": "name_key"},
    exact_filters={"customer_id": "parent_id", "status": "status"},
    status_filters={
        "Status.All": ("*",),
        "Status.Draft": ("draft",),
        "Status.Sent": ("sent",),
        "Status.Unpaid": ("sent", "partially_paid"),
        "Status.PartiallyPaid": ("partially_paid",),
        "Status.OverDue": ("sent", "partially_paid"),
        "Status.Paid": ("paid",),
        "Status.Void": ("void",),
    },
    list_omit=("line_items", "payments"),
)

PURCHASE_ORDERS = Module(
    kind="purchaseorders",
    singular="purchaseorder",
    label="Purchase order",
    report_name="Purchase Orders",
    default_sort="created_time",
    default_order="D",
    sort_columns={
        "purchaseorder_number": "number_key",
        "vendor_name": "name_key",
        "date": "date_key",
        **_COMMON_SORTS,  # type: ignore[dict-item]
    },
    text_filters={"purchaseorder_number": "number_key", "vendor_name": "name_key"},
    exact_filters={"vendor_id": "parent_id", "status": "status"},
    status_filters={
        "Status.All": ("*",),
        "Status.Draft": ("draft",),
        "Status.Open": ("open",),
        "Status.Billed": ("billed",),
        "Status.Cancelled": ("cancelled",),
    },
    list_omit=("line_items",),
)

CUSTOMER_PAYMENTS = Module(
    kind="customerpayments",
    singular="payment",
    label="Payment",
    report_name="Payments Received",
    default_sort="date",
    default_order="D",
    sort_columns={"date": "date_key", **_COMMON_SORTS},  # type: ignore[dict-item]
    text_filters={"payment_number": "number_key"},
    exact_filters={"customer_id": "parent_id"},
    status_filters={"Status.All": ("*",)},
)

BY_KIND = {m.kind: m for m in (CONTACTS, ITEMS, INVOICES, PURCHASE_ORDERS, CUSTOMER_PAYMENTS)}
