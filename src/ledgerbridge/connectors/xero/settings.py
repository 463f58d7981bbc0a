"""A Xero connection's non-secret settings: where the API lives, which app, which tenant."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from ledgerbridge.connectors.http.oauth import OAuthClient
from ledgerbridge.domain.errors import ConfigError

API_BASE = "https://api.xero.com/api.xro/2.0"
CONNECTIONS_URL = "https://api.xero.com/connections"
TOKEN_URL = "https://identity.xero.com/connect/token"  # noqa: S105 - an address, not a secret
AUTHORIZE_URL = "https://login.xero.com/identity/connect/authorize"
REVOKE_URL = "https://identity.xero.com/connect/revocation"
SCOPES = (
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.contacts",
    "accounting.settings",
    "accounting.transactions",
)


class XeroSettings(BaseModel):
    """What ``from_connection`` reads from a stored connection's settings.

    ``tenant_id`` may be empty right after authorisation: ``XeroConnector.tenants()`` lists
    the organisations the user connected, and one of them is then chosen and stored.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    client_id: str
    tenant_id: str = ""
    redirect_uri: str = ""
    scopes: tuple[str, ...] = SCOPES
    api_base: str = API_BASE
    connections_url: str = CONNECTIONS_URL
    token_url: str = TOKEN_URL
    authorize_url: str = AUTHORIZE_URL

    @field_validator("api_base", "connections_url", "token_url", "authorize_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: Any) -> Any:
        # Stored settings may hold the scopes as one space-separated string, as OAuth writes them.
        return tuple(value.split()) if isinstance(value, str) else value

    @classmethod
    def parse(cls, settings: dict[str, Any]) -> XeroSettings:
        try:
            return cls.model_validate(settings)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
                for e in exc.errors()
            )
            raise ConfigError(f"the Xero connection's settings are incomplete: {problems}") from exc

    def oauth_client(self, client_secret: str) -> OAuthClient:
        """The app as the token endpoint knows it; Xero takes its credentials as HTTP Basic."""
        return OAuthClient(
            client_id=self.client_id,
            client_secret=client_secret,
            token_url=self.token_url,
            authorize_url=self.authorize_url,
            redirect_uri=self.redirect_uri,
            scopes=self.scopes,
            basic_auth=True,
        )
