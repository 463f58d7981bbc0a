"""Zoho CRM v8: records, search and COQL, metadata, notification channels."""

from ledgerbridge.connectors.zoho_crm.channels import Channel, ChannelAnswer
from ledgerbridge.connectors.zoho_crm.connector import (
    SCOPES,
    ZohoCrmConnector,
    authorize,
    edition_limits,
    from_connection,
)

__all__ = [
    "SCOPES",
    "Channel",
    "ChannelAnswer",
    "ZohoCrmConnector",
    "authorize",
    "edition_limits",
    "from_connection",
]
