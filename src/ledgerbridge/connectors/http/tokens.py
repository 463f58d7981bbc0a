"""Where a connection's OAuth tokens live, and how a rotation is persisted safely."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str | None
    refresh_token: str | None
    expires_at: datetime | None
    # What else the token answer carried: Zoho's api_domain, Xero's scope, the tenant chosen.
    extra: dict[str, Any] = field(default_factory=dict)

    def expired(self, now: datetime, margin: timedelta = timedelta(seconds=60)) -> bool:
        return (
            self.access_token is None
            or self.expires_at is None
            or (self.expires_at - margin <= now)
        )

    def to_secrets(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_secrets(cls, data: dict[str, Any]) -> TokenSet:
        raw = data.get("expires_at")
        return cls(
            access_token=data.get("access_token"),
            refresh_token=data.get("refresh_token"),
            expires_at=datetime.fromisoformat(raw) if raw else None,
            extra=dict(data.get("extra") or {}),
        )


class TokenStore(Protocol):
    """Tokens of one connection with a version, updated by compare-and-swap.

    ``save`` returns False when someone else saved first (another worker refreshed): the
    caller then loads what they saved instead of overwriting it.
    """

    def load(self) -> tuple[TokenSet, int]: ...

    def save(self, tokens: TokenSet, expected_version: int) -> bool: ...


def stored_secret(store: TokenStore, name: str) -> str | None:
    """A secret kept beside the tokens (``client_secret``), when the store holds secrets."""
    reader = getattr(store, "secret", None)
    if not callable(reader):
        return None
    value = reader(name)
    return str(value) if value is not None else None


class MemoryTokenStore:
    """Tokens held in memory (tests, one-off scripts); same compare-and-swap rules."""

    def __init__(self, tokens: TokenSet, secrets: dict[str, Any] | None = None) -> None:
        self._tokens = tokens
        self._secrets = dict(secrets or {})
        self._version = 1
        self._lock = threading.Lock()
        self.saves = 0

    def secret(self, name: str) -> Any:
        return self._secrets.get(name)

    def load(self) -> tuple[TokenSet, int]:
        with self._lock:
            return self._tokens, self._version

    def save(self, tokens: TokenSet, expected_version: int) -> bool:
        with self._lock:
            if expected_version != self._version:
                return False
            self._tokens = tokens
            self._version += 1
            self.saves += 1
            return True


class SecretsTokenStore:
    """Tokens inside a stored connection's encrypted secrets (the default in production)."""

    def __init__(
        self,
        load_secrets: Callable[[], tuple[dict[str, Any], int]],
        replace_secrets: Callable[[dict[str, Any], int], bool],
    ) -> None:
        self._load = load_secrets
        self._replace = replace_secrets

    def load(self) -> tuple[TokenSet, int]:
        secrets, version = self._load()
        return TokenSet.from_secrets(secrets.get("tokens") or {}), version

    def secret(self, name: str) -> Any:
        """Another secret of the connection, e.g. the app's ``client_secret``."""
        return self._load()[0].get(name)

    def save(self, tokens: TokenSet, expected_version: int) -> bool:
        secrets, version = self._load()
        if version != expected_version:
            return False
        return self._replace({**secrets, "tokens": tokens.to_secrets()}, expected_version)


def with_access(tokens: TokenSet, access: str, expires_at: datetime) -> TokenSet:
    return replace(tokens, access_token=access, expires_at=expires_at)
