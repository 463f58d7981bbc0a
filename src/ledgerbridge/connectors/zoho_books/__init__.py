"""Zoho Books v3 and Zoho ERP: contacts, items, invoices and purchase orders."""

from ledgerbridge.connectors.zoho_books.connector import (
    SCOPES,
    Organization,
    ZohoBooksConnector,
    from_connection,
    plan_limits,
)

__all__ = ["SCOPES", "Organization", "ZohoBooksConnector", "from_connection", "plan_limits"]
