"""Emulator of the Xero Accounting API 2.0 and its identity service."""

from ledgerbridge.sandbox.xero.app import CLIENT_ID, CLIENT_SECRET, create_app
from ledgerbridge.sandbox.xero.state import XeroState, XeroValidationError

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "XeroState", "XeroValidationError", "create_app"]
