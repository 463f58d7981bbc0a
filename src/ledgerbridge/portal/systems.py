"""What the portal knows of each system it can connect: labels, OAuth apps, stored settings.

Pure functions over plain values; the connection pages do the I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ledgerbridge.connectors.http.oauth import OAuthClient
from ledgerbridge.connectors.xero.settings import XeroSettings
from ledgerbridge.connectors.zoho_books.connector import SCOPES as BOOKS_SCOPES
from ledgerbridge.connectors.zoho_crm.accounts import DATA_CENTRES, accounts_url, oauth_app
from ledgerbridge.connectors.zoho_crm.connector import SCOPES as CRM_SCOPES
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.sandbox.xero.app import CLIENT_ID as XERO_SANDBOX_ID
from ledgerbridge.sandbox.xero.app import CLIENT_SECRET as XERO_SANDBOX_SECRET
from ledgerbridge.sandbox.zoho_books.state import CLIENT_ID as BOOKS_SANDBOX_ID
from ledgerbridge.sandbox.zoho_books.state import CLIENT_SECRET as BOOKS_SANDBOX_SECRET
from ledgerbridge.sandbox.zoho_crm.app import CLIENT_ID as CRM_SANDBOX_ID
from ledgerbridge.sandbox.zoho_crm.app import CLIENT_SECRET as CRM_SANDBOX_SECRET

Server = Literal["real", "sandbox"]
Role = Literal["crm", "books"]
TOKENS = "tokens"
CLIENT_SECRET = "client_secret"  # noqa: S105 - the key secrets are kept under
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
# The accounts servers Zoho may name in its redirect (one per data centre).
_ZOHO_ACCOUNTS = re.compile(r"^https://accounts\.zoho\.[a-z]{2,3}(\.[a-z]{2,3})?$")


@dataclass(frozen=True, slots=True)
class SystemInfo:
    key: str
    label: str
    role: Role
    # What must be chosen after authorising: Xero tenants, Zoho Books organizations.
    choice: Literal["tenant", "organization"] | None
    choice_setting: str | None
    sandbox_client: tuple[str, str]


SYSTEMS: dict[str, SystemInfo] = {
    "zoho_crm": SystemInfo(
        "zoho_crm", "Zoho CRM", "crm", None, None, (CRM_SANDBOX_ID, CRM_SANDBOX_SECRET)
    ),
    "xero": SystemInfo(
        "xero", "Xero", "books", "tenant", "tenant_id", (XERO_SANDBOX_ID, XERO_SANDBOX_SECRET)
    ),
    "zoho_books": SystemInfo(
        "zoho_books",
        "Zoho Books",
        "books",
        "organization",
        "organization_id",
        (BOOKS_SANDBOX_ID, BOOKS_SANDBOX_SECRET),
    ),
}
ZOHO_DATA_CENTRES = DATA_CENTRES
# Which systems may stand on each side of an integration ("memory": the built-in test systems).
CRM_SYSTEMS = ("zoho_crm", "memory")
BOOKS_SYSTEMS = ("xero", "zoho_books", "memory")


def system_label(system: str) -> str:
    info = SYSTEMS.get(system)
    return info.label if info else system


def check_name(name: str) -> str:
    cleaned = name.strip()
    if not NAME_PATTERN.match(cleaned):
        raise ConfigError(
            "a connection name is 1 to 63 lowercase letters, digits, - or _, starting with a "
            "letter or digit, e.g. xero-main"
        )
    return cleaned


def check_base_url(url: str) -> str:
    cleaned = url.strip().rstrip("/")
    if not re.match(r"^https?://[^\s/?#]+(:\d+)?(/[^\s?#]*)?$", cleaned):
        raise ConfigError(f"{url!r} is not a base URL such as http://127.0.0.1:8902")
    return cleaned


def connection_settings(
    system: str,
    *,
    client_id: str,
    redirect_uri: str,
    server: Server,
    base_url: str = "",
    data_centre: str = "com",
) -> dict[str, Any]:
    """The stored settings of a new connection of ``system`` on a real or sandbox server."""
    if system not in SYSTEMS:
        raise ConfigError(f"unknown system {system!r}; choose one of {', '.join(SYSTEMS)}")
    if not client_id.strip():
        raise ConfigError("the app's client id is needed (from the vendor's developer console)")
    settings: dict[str, Any] = {
        "client_id": client_id.strip(),
        "redirect_uri": redirect_uri,
        "server": server,
    }
    base = check_base_url(base_url) if server == "sandbox" else ""
    if system in ("zoho_crm", "zoho_books"):
        if server == "sandbox":
            settings |= {"accounts_url": base, "api_domain": base}
        else:
            accounts_url(data_centre)  # refuses an unknown data centre
            settings["data_centre"] = data_centre
    elif server == "sandbox":  # xero
        settings |= {
            "api_base": f"{base}/api.xro/2.0",
            "connections_url": f"{base}/connections",
            "token_url": f"{base}/connect/token",
            "authorize_url": f"{base}/connect/authorize",
        }
    return settings


def oauth_client(system: str, settings: Mapping[str, Any], client_secret: str) -> OAuthClient:
    """The app as the vendor's authorization server knows it, for this connection."""
    if system == "xero":
        return XeroSettings.parse(dict(settings)).oauth_client(client_secret)
    if system in ("zoho_crm", "zoho_books"):
        accounts = str(settings.get("accounts_url") or "") or accounts_url(
            str(settings.get("data_centre") or "com")
        )
        return oauth_app(
            client_id=str(settings["client_id"]),
            client_secret=client_secret,
            accounts=accounts,
            scopes=CRM_SCOPES if system == "zoho_crm" else BOOKS_SCOPES,
            redirect_uri=str(settings.get("redirect_uri") or ""),
        )
    raise ConfigError(f"connections of system {system!r} are not authorised through OAuth")


def zoho_accounts_server(settings: Mapping[str, Any], named: str | None) -> str | None:
    """The accounts server Zoho's redirect names, if it is one of Zoho's own (real servers).

    Zoho sends the user's data centre back this way; a sandbox keeps the URL it was given.
    """
    if settings.get("server") == "sandbox" or not named:
        return None
    cleaned = named.rstrip("/")
    return cleaned if _ZOHO_ACCOUNTS.match(cleaned) else None


def chosen(system: str, settings: Mapping[str, Any]) -> str | None:
    """The tenant or organization id chosen, or None when one is still to be chosen."""
    info = SYSTEMS.get(system)
    if info is None or info.choice_setting is None:
        return None
    value = settings.get(info.choice_setting)
    return str(value) if value else None


def needs_choice(system: str, settings: Mapping[str, Any]) -> bool:
    info = SYSTEMS.get(system)
    return bool(info and info.choice_setting and not settings.get(info.choice_setting))
