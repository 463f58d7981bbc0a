"""An OAuth 2.0 authorization server (code and refresh grants) on the virtual clock.

Each emulator wraps it in endpoints with its vendor's exact request and answer shapes.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.faults import FaultInjector

_CODE_TTL_SECONDS = 300.0
_TEN_MINUTES = 600.0


class OAuthError(Exception):
    """An OAuth failure; ``error`` is the RFC 6749 code ("invalid_grant", "invalid_client", ...).

    ``too_many_requests`` means a refresh token minted too many access tokens recently.
    """

    def __init__(self, error: str, description: str = "") -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class TokenAnswer:
    access_token: str
    refresh_token: str | None
    expires_in: int
    scope: str
    token_type: str = "Bearer"  # noqa: S105
    tenant_ids: tuple[str, ...] = ()
    user: str = ""


@dataclass(frozen=True)
class TokenCheck:
    status: Literal["ok", "expired", "invalid"]
    client_id: str | None = None
    scopes: tuple[str, ...] = ()
    tenant_ids: tuple[str, ...] = ()
    user: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class _Grant:
    client_id: str
    scope: str
    tenant_ids: tuple[str, ...]
    user: str


@dataclass
class _Code:
    grant: _Grant
    redirect_uri: str
    expires_at: float


@dataclass
class _Access:
    grant: _Grant
    expires_at: float


@dataclass
class _Refresh:
    grant: _Grant
    last_used: float
    superseded_at: float | None = None
    minted: deque[float] = field(default_factory=deque)


class OAuthServer:
    """Authorization codes, access tokens and refresh tokens, with rotation and grace."""

    def __init__(
        self,
        clock: VirtualClock,
        *,
        clients: dict[str, str],
        access_ttl: int,
        rotate_refresh: bool,
        refresh_grace_seconds: int = 1800,
        refresh_ttl_seconds: int | None = None,
        max_access_per_refresh_per_10min: int | None = None,
        default_tenant_ids: Sequence[str] = (),
        faults: FaultInjector | None = None,
    ) -> None:
        self.clock = clock
        self.clients = dict(clients)
        self.access_ttl = access_ttl
        self.rotate_refresh = rotate_refresh
        self.refresh_grace_seconds = refresh_grace_seconds
        self.refresh_ttl_seconds = refresh_ttl_seconds
        self.max_access_per_refresh_per_10min = max_access_per_refresh_per_10min
        self.default_tenant_ids = tuple(default_tenant_ids)
        self.faults = faults
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, _Refresh] = {}

    # -- helpers -------------------------------------------------------------------------------

    def current_access_ttl(self) -> int:
        """The access-token lifetime, unless the fault switches override it."""
        if self.faults is not None:
            override = self.faults.config.token_ttl_seconds
            if override is not None:
                return override
        return self.access_ttl

    def _check_client(self, client_id: str, client_secret: str | None) -> None:
        expected = self.clients.get(client_id)
        if expected is None:
            raise OAuthError("invalid_client", "unknown client")
        if client_secret is not None and not secrets.compare_digest(expected, client_secret):
            raise OAuthError("invalid_client", "bad client secret")

    def _mint(self, grant: _Grant, now: float, *, refresh: str | None) -> TokenAnswer:
        ttl = self.current_access_ttl()
        access = secrets.token_urlsafe(32)
        self._access[access] = _Access(grant, now + ttl)
        if refresh is None and "offline_access" in grant.scope.split():
            refresh = secrets.token_urlsafe(32)
            self._refresh[refresh] = _Refresh(grant, now)
        return TokenAnswer(
            access_token=access,
            refresh_token=refresh,
            expires_in=ttl,
            scope=grant.scope,
            tenant_ids=grant.tenant_ids,
            user=grant.user,
        )

    # -- grants --------------------------------------------------------------------------------

    def authorize(
        self,
        client_id: str,
        redirect_uri: str,
        scope: str,
        state: str | None = None,
        *,
        tenant_ids: Sequence[str] | None = None,
        user: str = "sandbox-user",
    ) -> str:
        """Approve at once (a sandbox has no login page) and return a one-time code."""
        del state  # the caller echoes state back in its redirect
        if client_id not in self.clients:
            raise OAuthError("unauthorized_client", "unknown client_id")
        grant = _Grant(
            client_id,
            scope,
            tuple(tenant_ids) if tenant_ids is not None else self.default_tenant_ids,
            user,
        )
        code = secrets.token_urlsafe(24)
        with self._lock:
            expires = self.clock.timestamp() + _CODE_TTL_SECONDS
            self._codes[code] = _Code(grant, redirect_uri, expires)
        return code

    def exchange_code(
        self, code: str, client_id: str, client_secret: str | None, redirect_uri: str | None
    ) -> TokenAnswer:
        self._check_client(client_id, client_secret)
        now = self.clock.timestamp()
        with self._lock:
            stored = self._codes.pop(code, None)
            if stored is None or stored.expires_at < now:
                raise OAuthError("invalid_grant", "code is invalid or expired")
            if stored.grant.client_id != client_id:
                raise OAuthError("invalid_grant", "code was issued to another client")
            if redirect_uri is not None and redirect_uri != stored.redirect_uri:
                raise OAuthError("invalid_grant", "redirect_uri does not match")
            return self._mint(stored.grant, now, refresh=None)

    def refresh(self, refresh_token: str, client_id: str, client_secret: str | None) -> TokenAnswer:
        """Mint a new access token; with rotation also a new refresh token (old one: grace)."""
        self._check_client(client_id, client_secret)
        now = self.clock.timestamp()
        with self._lock:
            stored = self._refresh.get(refresh_token)
            if stored is None or stored.grant.client_id != client_id:
                raise OAuthError("invalid_grant", "refresh token is invalid")
            if stored.superseded_at is not None and (
                now > stored.superseded_at + self.refresh_grace_seconds
            ):
                raise OAuthError("invalid_grant", "refresh token was rotated")
            if self.refresh_ttl_seconds is not None and (
                now > stored.last_used + self.refresh_ttl_seconds
            ):
                raise OAuthError("invalid_grant", "refresh token expired")
            limit = self.max_access_per_refresh_per_10min
            if limit is not None:
                while stored.minted and stored.minted[0] <= now - _TEN_MINUTES:
                    stored.minted.popleft()
                if len(stored.minted) >= limit:
                    raise OAuthError(
                        "too_many_requests",
                        "You have made too many requests continuously. "
                        "Please try again after some time.",
                    )
                stored.minted.append(now)
            stored.last_used = now
            if not self.rotate_refresh:
                return self._mint(stored.grant, now, refresh=refresh_token)
            if stored.superseded_at is None:
                stored.superseded_at = now
            new_refresh = secrets.token_urlsafe(32)
            self._refresh[new_refresh] = _Refresh(stored.grant, now)
            return self._mint(stored.grant, now, refresh=new_refresh)

    def issue_for_tests(
        self,
        *,
        client_id: str | None = None,
        scope: str = "offline_access",
        tenant_ids: Sequence[str] | None = None,
        user: str = "sandbox-user",
    ) -> TokenAnswer:
        """Mint a token pair directly, skipping the browser step."""
        cid = client_id if client_id is not None else next(iter(self.clients))
        grant = _Grant(
            cid,
            scope,
            tuple(tenant_ids) if tenant_ids is not None else self.default_tenant_ids,
            user,
        )
        with self._lock:
            return self._mint(grant, self.clock.timestamp(), refresh=None)

    # -- checks --------------------------------------------------------------------------------

    def check(self, access_token: str) -> TokenCheck:
        with self._lock:
            stored = self._access.get(access_token)
            if stored is None:
                return TokenCheck("invalid")
            grant = stored.grant
            status: Literal["ok", "expired"] = (
                "ok" if self.clock.timestamp() < stored.expires_at else "expired"
            )
        return TokenCheck(
            status, grant.client_id, tuple(grant.scope.split()), grant.tenant_ids, grant.user
        )

    def expire_all_access_tokens(self) -> int:
        now = self.clock.timestamp()
        with self._lock:
            for stored in self._access.values():
                stored.expires_at = min(stored.expires_at, now)
            return len(self._access)

    def revoke(self, token: str) -> None:
        with self._lock:
            self._access.pop(token, None)
            self._refresh.pop(token, None)
