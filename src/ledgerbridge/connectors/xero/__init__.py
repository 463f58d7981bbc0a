"""The Xero Accounting API 2.0 connector."""

from ledgerbridge.connectors.xero.connector import (
    CAPABILITIES,
    XERO_LIMITS,
    XeroConnector,
    from_connection,
)
from ledgerbridge.connectors.xero.models import (
    Account,
    BrandingTheme,
    Organisation,
    TaxRate,
    Tenant,
)
from ledgerbridge.connectors.xero.settings import XeroSettings
from ledgerbridge.connectors.xero.webhooks import WebhookBatch, WebhookEvent, signature_valid

__all__ = [
    "CAPABILITIES",
    "XERO_LIMITS",
    "Account",
    "BrandingTheme",
    "Organisation",
    "TaxRate",
    "Tenant",
    "WebhookBatch",
    "WebhookEvent",
    "XeroConnector",
    "XeroSettings",
    "from_connection",
    "signature_valid",
]
