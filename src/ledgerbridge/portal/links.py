"""Where a person opens a record in its own system: every URL template in one place.

Pure: built from a connection's system and (non-secret) settings, a module and an id. A
connection whose API lives on this machine (the sandbox, a test double) has no web pages a
person could open, so it gets no link; nor does the in-memory system.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

# Zoho CRM's web client: one tab per module.
ZOHO_CRM = "https://crm.zoho.{dc}/crm/tab/{module}/{id}"

# Xero's web pages per API module; Xero's own deep links, the organisation is the one the
# person is logged in to.
XERO = {
    "Contacts": "https://go.xero.com/Contacts/View/{id}",
    "Items": "https://go.xero.com/Accounts/Inventory/{id}",
    "Invoices": "https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID={id}",
    "PurchaseOrders": "https://go.xero.com/Accounts/Payable/PurchaseOrders/View/{id}",
}

# Zoho Books: one single-page app per organisation; the fragment picks the record.
ZOHO_BOOKS = "https://books.zoho.{dc}/app/{org}#/{page}/{id}"
ZOHO_BOOKS_PAGES = {
    "contacts": "contacts",
    "items": "inventory/items",
    "invoices": "invoices",
    "purchaseorders": "purchaseorders",
}

_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _local(settings: Mapping[str, Any]) -> bool:
    """Whether the connection talks to an API served on this machine (the sandbox)."""
    for key in ("api_domain", "api_base", "base_url"):
        raw = settings.get(key)
        if raw and urlsplit(str(raw)).hostname in _LOCAL_HOSTS:
            return True
    return False


def _dc(settings: Mapping[str, Any]) -> str:
    centre = str(settings.get("data_centre") or "com").strip().lstrip(".")
    # A data centre is a domain suffix such as "com", "eu" or "com.au"; anything else is ignored.
    if not centre or not all(part.isalnum() for part in centre.split(".")):
        return "com"
    return centre


def record_url(system: str, settings: Mapping[str, Any], module: str, record_id: str) -> str | None:
    """The URL of record ``record_id`` of ``module`` in ``system``'s web app, when it has one."""
    if not record_id or _local(settings):
        return None
    rid = quote(record_id, safe="")
    if system == "zoho_crm":
        return ZOHO_CRM.format(dc=_dc(settings), module=quote(module, safe=""), id=rid)
    if system == "xero":
        template = XERO.get(module)
        return template.format(id=rid) if template else None
    if system == "zoho_books":
        page = ZOHO_BOOKS_PAGES.get(module.lower())
        org = str(settings.get("organization_id") or "")
        if page is None or not org:
            return None
        return ZOHO_BOOKS.format(dc=_dc(settings), org=quote(org, safe=""), page=page, id=rid)
    return None


def system_label(system: str) -> str:
    return {
        "zoho_crm": "Zoho CRM",
        "xero": "Xero",
        "zoho_books": "Zoho Books",
        "memory": "in-memory system",
    }.get(system, system)
