"""An emulator of the Zoho Books (and Zoho ERP) v3 API."""

from ledgerbridge.sandbox.zoho_books.app import create_app
from ledgerbridge.sandbox.zoho_books.state import (
    CLIENT_ID,
    CLIENT_SECRET,
    SCOPE,
    BulkResult,
    ChangeEvent,
    Page,
    ZohoBooksState,
)

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "SCOPE",
    "BulkResult",
    "ChangeEvent",
    "Page",
    "ZohoBooksState",
    "create_app",
]
