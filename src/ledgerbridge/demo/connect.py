"""Connections to the sandbox's Zoho CRM and Xero through their OAuth servers.

The demo plays the browser: it opens the consent URL (the sandbox approves at once), reads the
code from the redirect and trades it for tokens, which are stored encrypted with the connection.
The sandbox forgets its grants when it stops, so each start authorises again; the connection
itself (its name, settings and other secrets) is created once and kept.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from ledgerbridge.connectors.http.oauth import OAuthClient, exchange_code
from ledgerbridge.connectors.http.tokens import MemoryTokenStore, TokenSet
from ledgerbridge.connectors.xero.connector import from_connection as xero_from_connection
from ledgerbridge.connectors.xero.settings import XeroSettings
from ledgerbridge.connectors.zoho_crm import SCOPES as CRM_SCOPES
from ledgerbridge.connectors.zoho_crm.accounts import oauth_app
from ledgerbridge.domain.errors import AuthError
from ledgerbridge.sandbox import xero as xero_sandbox
from ledgerbridge.sandbox import zoho_crm as crm_sandbox
from ledgerbridge.store import Store
from ledgerbridge.web.credentials import set_connection_secret

CRM_CONNECTION = "demo-zoho-crm"
XERO_CONNECTION = "demo-xero"


@dataclass(frozen=True, slots=True)
class Connected:
    name: str
    system: str
    created: bool  # False: an existing connection was authorised again


def consent(http: httpx.Client, app: OAuthClient) -> str:
    """Approve on the consent page and return the code the redirect carries."""
    state = secrets.token_urlsafe(16)
    answer = http.get(app.authorization_url(state), follow_redirects=False)
    location = answer.headers.get("location", "")
    query = parse_qs(urlparse(location).query)
    if answer.status_code != 302 or "code" not in query:
        raise AuthError(
            f"the consent page at {app.authorize_url} answered {answer.status_code} without a code"
        )
    if query.get("state") != [state]:
        raise AuthError("the consent redirect came back with another state; not trusting it")
    return str(query["code"][0])


def _store(
    store: Store,
    name: str,
    system: str,
    settings: dict[str, Any],
    client_secret: str,
    tokens: TokenSet,
) -> Connected:
    known = {row.name for row in store.connections.list()}
    if name not in known:
        store.connections.add(
            name, system, settings, {"client_secret": client_secret, "tokens": tokens.to_secrets()}
        )
        return Connected(name, system, created=True)
    # Keep every other secret (the webhook key, channel tokens); the sandbox may have moved port.
    if store.connections.get(name).settings != settings:
        store.connections.update_settings(name, settings)
    set_connection_secret(store, name, "client_secret", client_secret)
    set_connection_secret(store, name, "tokens", tokens.to_secrets())
    return Connected(name, system, created=False)


def connect_zoho_crm(
    store: Store, http: httpx.Client, crm_url: str, redirect_uri: str
) -> Connected:
    app = oauth_app(
        client_id=crm_sandbox.CLIENT_ID,
        client_secret=crm_sandbox.CLIENT_SECRET,
        accounts=crm_url,
        scopes=CRM_SCOPES,
        redirect_uri=redirect_uri,
    )
    tokens = exchange_code(http, app, consent(http, app))
    settings = {
        "client_id": crm_sandbox.CLIENT_ID,
        "accounts_url": crm_url,
        "redirect_uri": redirect_uri,
    }
    return _store(store, CRM_CONNECTION, "zoho_crm", settings, crm_sandbox.CLIENT_SECRET, tokens)


def connect_xero(store: Store, http: httpx.Client, xero_url: str, redirect_uri: str) -> Connected:
    parsed = XeroSettings(
        client_id=xero_sandbox.CLIENT_ID,
        redirect_uri=redirect_uri,
        api_base=f"{xero_url}/api.xro/2.0",
        connections_url=f"{xero_url}/connections",
        token_url=f"{xero_url}/connect/token",
        authorize_url=f"{xero_url}/connect/authorize",
    )
    app = parsed.oauth_client(xero_sandbox.CLIENT_SECRET)
    tokens = exchange_code(http, app, consent(http, app))
    settings = parsed.model_dump(mode="json")
    # As after a real consent: list the organisations granted and take the (only) one.
    probe = xero_from_connection(
        settings,
        MemoryTokenStore(tokens, secrets={"client_secret": xero_sandbox.CLIENT_SECRET}),
        http=http,
    )
    tenants = probe.tenants()
    if not tenants:
        raise AuthError("the Xero consent granted no organisation")
    settings["tenant_id"] = tenants[0].tenant_id
    return _store(store, XERO_CONNECTION, "xero", settings, xero_sandbox.CLIENT_SECRET, tokens)
