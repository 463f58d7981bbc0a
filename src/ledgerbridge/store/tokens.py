"""API tokens: made at random, shown once, kept only as a SHA-256 hash."""

from __future__ import annotations

import builtins
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.store.tables import api_tokens, utcnow

TOKEN_PREFIX = "lb_"  # noqa: S105 - marks a string as a ledgerbridge token, not a secret
_NAME_LIMIT = 63


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A stored token, without the token itself (only its hash is kept)."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool
    # The user it acts for (sees only that user's integrations); None: installation-wide.
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token: ``secret`` is what clients send, and is never stored or shown again."""

    token: ApiToken
    secret: str


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


_COLUMNS = (
    api_tokens.c.id,
    api_tokens.c.name,
    api_tokens.c.token_hash,
    api_tokens.c.created_at,
    api_tokens.c.last_used_at,
    api_tokens.c.revoked,
    api_tokens.c.user_id,
)


def _token(r: RowMapping) -> ApiToken:
    return ApiToken(
        id=r["id"],
        name=r["name"],
        created_at=r["created_at"],
        last_used_at=r["last_used_at"],
        revoked=bool(r["revoked"]),
        user_id=r["user_id"],
    )


class TokenRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, name: str, *, user_id: int | None = None) -> IssuedToken:
        """A new token called ``name``, acting for ``user_id`` when given.

        A name may be reused once its token is revoked.
        """
        if not name or len(name) > _NAME_LIMIT or not name.isprintable():
            raise ConfigError(
                f"token name {name!r} must be 1 to {_NAME_LIMIT} printable characters, "
                "e.g. the client that will use it"
            )
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._engine.begin() as conn:
            active = conn.execute(
                sa.select(api_tokens.c.id).where(
                    api_tokens.c.name == name, api_tokens.c.revoked.is_(False)
                )
            ).first()
            if active is not None:
                raise ConfigError(
                    f"a token named {name!r} is already active; choose another name or "
                    f"`ledgerbridge token revoke {name}` first"
                )
            new_id = conn.execute(
                api_tokens.insert()
                .values(
                    name=name,
                    token_hash=token_hash(secret),
                    revoked=False,
                    created_at=utcnow(),
                    user_id=user_id,
                )
                .returning(api_tokens.c.id)
            ).scalar_one()
            row = conn.execute(sa.select(*_COLUMNS).where(api_tokens.c.id == new_id)).mappings()
            return IssuedToken(_token(row.one()), secret)

    def list(self) -> builtins.list[ApiToken]:
        """Every token, revoked ones included, oldest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(*_COLUMNS).order_by(api_tokens.c.id)).mappings()
            return [_token(r) for r in rows]

    def revoke(self, name: str) -> ApiToken:
        """Revoke the active token called ``name``; requests with it are refused from now on."""
        with self._engine.begin() as conn:
            row = (
                conn.execute(
                    sa.select(*_COLUMNS).where(
                        api_tokens.c.name == name, api_tokens.c.revoked.is_(False)
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise ConfigError(
                    f"no active token named {name!r}; `ledgerbridge token list` shows them"
                )
            conn.execute(
                api_tokens.update().where(api_tokens.c.id == row["id"]).values(revoked=True)
            )
        return ApiToken(
            row["id"], name, row["created_at"], row["last_used_at"], True, row["user_id"]
        )

    def authenticate(self, secret: str) -> ApiToken | None:
        """The active token ``secret`` is, noting its use; ``None`` for anything else.

        The lookup is by hash, so the time it takes says nothing about how close a guess came.
        """
        wanted = token_hash(secret)
        with self._engine.begin() as conn:
            row = (
                conn.execute(sa.select(*_COLUMNS).where(api_tokens.c.token_hash == wanted))
                .mappings()
                .first()
            )
            if row is None or row["revoked"] or not hmac.compare_digest(row["token_hash"], wanted):
                return None
            now = utcnow()
            conn.execute(
                api_tokens.update().where(api_tokens.c.id == row["id"]).values(last_used_at=now)
            )
        return ApiToken(row["id"], row["name"], row["created_at"], now, False, row["user_id"])
