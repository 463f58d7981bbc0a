"""The Zoho CRM v8 emulator: records, search, COQL, metadata, notifications, OAuth and limits."""

from ledgerbridge.sandbox.zoho_crm.app import CLIENT_ID, CLIENT_SECRET, create_app
from ledgerbridge.sandbox.zoho_crm.state import ZohoCrmState

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "ZohoCrmState", "create_app"]
