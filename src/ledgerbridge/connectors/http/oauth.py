"""OAuth 2.0 as an ``httpx.Auth``: refresh before expiry, once more on a 401, rotation-safe."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from ledgerbridge.connectors.http.tokens import TokenSet, TokenStore
from ledgerbridge.domain.errors import AuthError, RetriableError

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class OAuthClient:
    """An app registered with the vendor."""

    client_id: str
    client_secret: str
    token_url: str
    authorize_url: str
    redirect_uri: str = ""
    scopes: tuple[str, ...] = ()
    # Zoho wants credentials as form fields; Xero takes HTTP Basic or form fields.
    basic_auth: bool = False
    extra_authorize_params: tuple[tuple[str, str], ...] = ()

    def authorization_url(self, state: str) -> str:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(self.scopes),
            "state": state,
            **dict(self.extra_authorize_params),
        }
        return f"{self.authorize_url}?{urlencode(params)}"


def _token_request(client: httpx.Client, app: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
    data = dict(form)
    headers: dict[str, str] = {}
    if app.basic_auth:
        pair = f"{app.client_id}:{app.client_secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    else:
        data |= {"client_id": app.client_id, "client_secret": app.client_secret}
    try:
        response = client.post(app.token_url, data=data, headers=headers)
    except httpx.TransportError as exc:
        raise RetriableError(f"token endpoint unreachable: {exc.__class__.__name__}") from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise RetriableError(f"token endpoint answered {response.status_code}")
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    # an answer that is JSON but no object carries no token either
    body: dict[str, Any] = answer if isinstance(answer, dict) else {}
    if response.status_code >= 400 or "error" in body or "access_token" not in body:
        error = body.get("error") or f"HTTP {response.status_code}"
        description = body.get("error_description") or ""
        if "too many requests" in str(description).lower():
            # Zoho caps how often one refresh token mints access tokens: wait, don't reconnect
            raise RetriableError(f"the token endpoint asks to slow down: {description}")
        raise AuthError(
            f"the authorisation server refused the token request ({error}"
            f"{': ' + description if description else ''}); reconnect the connection"
        )
    return body


def _token_set(body: dict[str, Any], previous: TokenSet | None, now: datetime) -> TokenSet:
    extra = dict(previous.extra) if previous else {}
    for key in ("api_domain", "scope", "id_token"):
        if key in body:
            extra[key] = body[key]
    refresh = body.get("refresh_token") or (previous.refresh_token if previous else None)
    return TokenSet(
        access_token=str(body["access_token"]),
        refresh_token=refresh,
        expires_at=now + timedelta(seconds=int(body.get("expires_in", 3600))),
        extra=extra,
    )


def exchange_code(
    client: httpx.Client, app: OAuthClient, code: str, clock: Clock = utc_now
) -> TokenSet:
    """Trade an authorization code for the first token set."""
    body = _token_request(
        client,
        app,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri},
    )
    return _token_set(body, None, clock())


class OAuth2Auth(httpx.Auth):
    """Adds the access token; refreshes it when due or when the API answers 401.

    A rotated refresh token is persisted (compare-and-swap) before the new access token is used:
    if the process dies right after a refresh, the stored refresh token is the live one. When
    another worker saved first, its tokens are loaded and used instead.

    ``token_client`` must not carry this auth itself: the refresh runs under the auth's lock.
    """

    requires_response_body = False

    def __init__(
        self,
        app: OAuthClient,
        store: TokenStore,
        token_client: httpx.Client,
        *,
        scheme: str = "Bearer",
        clock: Clock = utc_now,
    ) -> None:
        self.app = app
        self.store = store
        self.token_client = token_client
        self.scheme = scheme
        self.clock = clock
        self._lock = threading.Lock()
        self.refreshes = 0

    def tokens(self) -> TokenSet:
        return self.store.load()[0]

    def _current(self, *, force: bool, stale: str | None = None) -> TokenSet:
        with self._lock:
            tokens, version = self.store.load()
            # Another thread or worker may have refreshed while we waited for the lock.
            if force and tokens.access_token != stale and not tokens.expired(self.clock()):
                return tokens
            if not force and not tokens.expired(self.clock()):
                return tokens
            if not tokens.refresh_token:
                raise AuthError("the connection has no refresh token; reconnect it")
            body = _token_request(
                self.token_client,
                self.app,
                {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
            )
            fresh = _token_set(body, tokens, self.clock())
            self.refreshes += 1
            if self.store.save(fresh, version):
                return fresh
            # Someone else refreshed and saved first: theirs is the live chain.
            return self.store.load()[0]

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        tokens = self._current(force=False)
        request.headers["Authorization"] = f"{self.scheme} {tokens.access_token}"
        response = yield request
        if response.status_code == 401:
            tokens = self._current(force=True, stale=tokens.access_token)
            request.headers["Authorization"] = f"{self.scheme} {tokens.access_token}"
            yield request
