"""Portal users (argon2id password hashes) and the failed logins that throttle guessing."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine, RowMapping

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.store.tables import login_failures, users, utcnow

MIN_PASSWORD_LENGTH = 10
_EMAIL_LIMIT = 320
# Failed logins older than this are of no use to the throttle and are deleted.
FAILURE_MEMORY = timedelta(minutes=30)

_hasher = PasswordHasher()  # argon2id with the library's current recommended cost
# Verified against when the e-mail is unknown, so a wrong address costs as long as a wrong
# password and the timing does not tell which addresses have accounts.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


@dataclass(frozen=True, slots=True)
class User:
    """A portal user, without the password hash."""

    id: int
    email: str
    is_admin: bool
    created_at: datetime
    last_login_at: datetime | None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password(password: str) -> None:
    """Refuse a password too short to resist guessing, with the reason."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ConfigError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def _check_email(email: str) -> str:
    cleaned = normalise_email(email)
    local, at, domain = cleaned.partition("@")
    if not at or not local or not domain or len(cleaned) > _EMAIL_LIMIT or " " in cleaned:
        raise ConfigError(f"{email!r} is not an e-mail address")
    return cleaned


_COLUMNS = (
    users.c.id,
    users.c.email,
    users.c.is_admin,
    users.c.created_at,
    users.c.last_login_at,
)


def _user(r: RowMapping) -> User:
    return User(
        id=r["id"],
        email=r["email"],
        is_admin=bool(r["is_admin"]),
        created_at=r["created_at"],
        last_login_at=r["last_login_at"],
    )


class UsersRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, email: str, password: str, *, admin: bool = False) -> User:
        cleaned = _check_email(email)
        check_password(password)
        password_hash = _hasher.hash(password)
        exists = ConfigError(f"a user with e-mail {cleaned} already exists")
        try:
            with self._engine.begin() as conn:
                if conn.execute(sa.select(users.c.id).where(users.c.email == cleaned)).first():
                    raise exists
                new_id = conn.execute(
                    users.insert()
                    .values(
                        email=cleaned,
                        password_hash=password_hash,
                        is_admin=admin,
                        created_at=utcnow(),
                    )
                    .returning(users.c.id)
                ).scalar_one()
        except sa.exc.IntegrityError:
            raise exists from None
        return self.get(new_id)

    def get(self, user_id: int) -> User:
        found = self.find(user_id)
        if found is None:
            raise ConfigError(f"no user with id {user_id}; `ledgerbridge user list` shows them")
        return found

    def find(self, user_id: int) -> User | None:
        with self._engine.connect() as conn:
            r = conn.execute(sa.select(*_COLUMNS).where(users.c.id == user_id)).mappings().first()
        return None if r is None else _user(r)

    def by_email(self, email: str) -> User | None:
        with self._engine.connect() as conn:
            r = (
                conn.execute(sa.select(*_COLUMNS).where(users.c.email == normalise_email(email)))
                .mappings()
                .first()
            )
        return None if r is None else _user(r)

    def list(self) -> builtins.list[User]:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(*_COLUMNS).order_by(users.c.email)).mappings()
            return [_user(r) for r in rows]

    def set_password(self, email: str, password: str) -> User:
        check_password(password)
        with self._engine.begin() as conn:
            result = conn.execute(
                users.update()
                .where(users.c.email == normalise_email(email))
                .values(password_hash=_hasher.hash(password))
            )
        if result.rowcount != 1:
            raise ConfigError(f"no user with e-mail {email}; `ledgerbridge user list` shows them")
        found = self.by_email(email)
        assert found is not None
        return found

    def authenticate(self, email: str, password: str) -> User | None:
        """The user whose e-mail and password these are, their login noted; else ``None``."""
        cleaned = normalise_email(email)
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(users.c.id, users.c.password_hash).where(users.c.email == cleaned)
            ).first()
        stored = _DUMMY_HASH if row is None else str(row.password_hash)
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None:  # pragma: no cover - the dummy hash matches no real password
            return None
        values: dict[str, object] = {"last_login_at": utcnow()}
        if _hasher.check_needs_rehash(stored):
            # The cost parameters were raised since this hash was made.
            values["password_hash"] = _hasher.hash(password)
        with self._engine.begin() as conn:
            conn.execute(users.update().where(users.c.id == row.id).values(**values))
        return self.get(int(row.id))

    def record_failure(self, email: str, ip: str, *, at: datetime | None = None) -> None:
        """Note a failed login; failures too old to matter are deleted on the way."""
        moment = at or utcnow()
        with self._engine.begin() as conn:
            stale = login_failures.c.at < moment - FAILURE_MEMORY
            conn.execute(login_failures.delete().where(stale))
            conn.execute(
                login_failures.insert().values(
                    email=normalise_email(email)[:_EMAIL_LIMIT], ip=ip[:64], at=moment
                )
            )

    def recent_failures(
        self, email: str, ip: str, *, since: datetime
    ) -> tuple[builtins.list[datetime], builtins.list[datetime]]:
        """When logins failed since ``since``: for this e-mail, and from this address."""
        cleaned = normalise_email(email)
        with self._engine.connect() as conn:
            by_email = conn.execute(
                sa.select(login_failures.c.at).where(
                    login_failures.c.email == cleaned, login_failures.c.at >= since
                )
            ).scalars()
            by_email_list = sorted(by_email)
            by_ip = conn.execute(
                sa.select(login_failures.c.at).where(
                    login_failures.c.ip == ip, login_failures.c.at >= since
                )
            ).scalars()
            return by_email_list, sorted(by_ip)

    def clear_failures(self, email: str) -> None:
        """Forget the failed logins for ``email`` (after it logged in successfully)."""
        with self._engine.begin() as conn:
            conn.execute(
                login_failures.delete().where(login_failures.c.email == normalise_email(email))
            )
