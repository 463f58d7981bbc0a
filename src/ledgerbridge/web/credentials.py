"""Secrets webhooks are checked with, kept among a connection's encrypted secrets.

Xero's webhook key is a secret of the Xero connection (``webhook_key``). A Zoho CRM channel's
token is made here, one per integration, and kept with the CRM connection's secrets under
``channel_tokens``; Zoho echoes it in every notification.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from ledgerbridge.domain.errors import StateError
from ledgerbridge.store import Store

WEBHOOK_KEY = "webhook_key"
CHANNEL_TOKENS = "channel_tokens"
# Concurrent token refreshes bump the secrets' version; a few rounds always get through.
_ATTEMPTS = 8


def connection_secret(store: Store, connection: str, key: str) -> Any:
    return store.connections.secrets(connection)[0].get(key)


def set_connection_secret(store: Store, connection: str, key: str, value: Any) -> None:
    """Set one secret, keeping the others (OAuth tokens may rotate meanwhile)."""
    for _ in range(_ATTEMPTS):
        current, version = store.connections.secrets(connection)
        if store.connections.replace_secrets(
            connection, {**current, key: value}, expected_version=version
        ):
            return
    raise StateError(f"the secrets of connection {connection} kept changing; try again")


def channel_token(store: Store, crm_connection: str, integration: str) -> str:
    """The token of the integration's Zoho CRM channel; made on first use."""
    for _ in range(_ATTEMPTS):
        current, version = store.connections.secrets(crm_connection)
        tokens = dict(current.get(CHANNEL_TOKENS) or {})
        if integration in tokens:
            return str(tokens[integration])
        tokens[integration] = secrets.token_urlsafe(32)
        if store.connections.replace_secrets(
            crm_connection, {**current, CHANNEL_TOKENS: tokens}, expected_version=version
        ):
            return str(tokens[integration])
    raise StateError(f"the secrets of connection {crm_connection} kept changing; try again")


def known_channel_token(store: Store, crm_connection: str, integration: str) -> str | None:
    tokens = connection_secret(store, crm_connection, CHANNEL_TOKENS) or {}
    found = tokens.get(integration) if isinstance(tokens, dict) else None
    return str(found) if found else None


def same_secret(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; an absent value never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())
