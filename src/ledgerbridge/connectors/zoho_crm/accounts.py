"""Zoho Accounts: data centres, the OAuth app and the ``Zoho-oauthtoken`` auth.

Zoho CRM and Zoho Books share one accounts server per data centre; the token answer names the
``api_domain`` to call, which beats any guess from the data centre.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

import httpx

from ledgerbridge.connectors.http.oauth import OAuth2Auth, OAuthClient
from ledgerbridge.connectors.http.tokens import TokenStore, stored_secret
from ledgerbridge.domain.errors import ConfigError

DATA_CENTRES = ("com", "eu", "in", "com.au", "jp", "ca", "com.cn", "sa")
SCHEME = "Zoho-oauthtoken"


def accounts_url(data_centre: str) -> str:
    """``https://accounts.zoho.eu`` for ``eu``; a ConfigError names the known centres."""
    if data_centre not in DATA_CENTRES:
        raise ConfigError(
            f"unknown Zoho data centre {data_centre!r}; use one of {', '.join(DATA_CENTRES)}"
        )
    return f"https://accounts.zoho.{data_centre}"


def api_domain(data_centre: str) -> str:
    """The API host of a data centre, used until a token answer names its ``api_domain``."""
    accounts_url(data_centre)
    return f"https://www.zohoapis.{data_centre}"


def oauth_app(
    *,
    client_id: str,
    client_secret: str,
    accounts: str,
    scopes: tuple[str, ...],
    redirect_uri: str = "",
) -> OAuthClient:
    """The registered app; ``access_type=offline`` is what makes Zoho hand out a refresh token."""
    root = accounts.rstrip("/")
    return OAuthClient(
        client_id=client_id,
        client_secret=client_secret,
        token_url=f"{root}/oauth/v2/token",
        authorize_url=f"{root}/oauth/v2/auth",
        redirect_uri=redirect_uri,
        scopes=scopes,
        basic_auth=False,
        extra_authorize_params=(("access_type", "offline"), ("prompt", "consent")),
    )


class ZohoAuth(OAuth2Auth):
    """``Zoho-oauthtoken`` auth that leaves the accounts server's own calls alone.

    The connector's one ``httpx.Client`` also carries token requests; those must not wait for
    a token themselves.
    """

    def __init__(self, app: OAuthClient, store: TokenStore, token_client: httpx.Client, **kw: Any):
        super().__init__(app, store, token_client, scheme=SCHEME, **kw)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if str(request.url).startswith(self.app.token_url):
            yield request
            return
        yield from super().auth_flow(request)


def setting(settings: Mapping[str, Any], name: str, default: str | None = None) -> str:
    value = settings.get(name, default)
    if value is None or str(value).strip() == "":
        raise ConfigError(f"the connection setting {name!r} is missing")
    return str(value).strip()


def client_secret(store: TokenStore) -> str:
    """The app's secret: from the connection's secrets, never from plain settings."""
    secret = stored_secret(store, "client_secret")
    if not secret:
        raise ConfigError("the connection has no client_secret among its secrets")
    return secret
