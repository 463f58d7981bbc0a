"""Encryption at rest for tokens and client secrets (Fernet, with key rotation)."""

from __future__ import annotations

import contextlib
import enum
import json
import os
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.engine import Engine

from ledgerbridge.domain.errors import ConfigError

KEY_ENV = "LEDGERBRIDGE_SECRET_KEY"
KEY_FILE_ENV = "LEDGERBRIDGE_SECRET_KEY_FILE"
DOCKER_SECRET_FILE = Path("/run/secrets/ledgerbridge_secret_key")
GENERATED_KEY_FILE = "secret.key"

_HOW_TO_GENERATE = (
    'generate one with: python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"'
)


class SecretBox:
    """Encrypts and decrypts secrets with the configured keys.

    The first key encrypts; every key is tried to decrypt, so a key is rotated by putting the
    new key first and keeping the old one after it until every secret has been rewritten.
    """

    def __init__(self, keys: Sequence[str]) -> None:
        cleaned = [k.strip() for k in keys if k.strip()]
        if not cleaned:
            raise ConfigError(f"no secret key given; set {KEY_ENV}; {_HOW_TO_GENERATE}")
        fernets: list[Fernet] = []
        for position, key in enumerate(cleaned, start=1):
            try:
                fernets.append(Fernet(key.encode("ascii")))
            except (ValueError, UnicodeEncodeError):
                # Never echo the key itself: it may be a real key with a typo.
                raise ConfigError(
                    f"secret key number {position} is not a valid Fernet key "
                    f"(32 url-safe base64-encoded bytes); {_HOW_TO_GENERATE}"
                ) from None
        self._fernet = MultiFernet(fernets)
        self._first = fernets[0]
        self.key_count = len(fernets)

    def __repr__(self) -> str:
        return f"SecretBox(<{self.key_count} key(s)>)"

    @staticmethod
    def generate_key() -> str:
        """A fresh random key in the form ``LEDGERBRIDGE_SECRET_KEY`` expects."""
        return Fernet.generate_key().decode("ascii")

    @classmethod
    def from_environment(
        cls,
        data_dir: Path,
        *,
        allow_generate: bool,
        environ: Mapping[str, str] | None = None,
        secret_file: Path = DOCKER_SECRET_FILE,
    ) -> SecretBox:
        """Keys from, in order: ``LEDGERBRIDGE_SECRET_KEY`` (comma-separated),
        ``LEDGERBRIDGE_SECRET_KEY_FILE``, the container secret file, or, when
        ``allow_generate``, a key file created once in ``data_dir`` and reused afterwards.
        """
        env = os.environ if environ is None else environ
        inline = env.get(KEY_ENV, "").strip()
        if inline:
            return cls(inline.split(","))
        named = env.get(KEY_FILE_ENV, "").strip()
        if named:
            path = Path(named)
            if not path.is_file():
                raise ConfigError(
                    f"{KEY_FILE_ENV} points at {path}, which is not a readable file; "
                    f"write a key into it ({_HOW_TO_GENERATE}) or unset {KEY_FILE_ENV}"
                )
            return cls._from_file(path, KEY_FILE_ENV)
        if secret_file.is_file():
            return cls._from_file(secret_file, str(secret_file))
        if allow_generate:
            return cls._from_file(_generated_key_file(data_dir), "the generated key file")
        raise ConfigError(
            f"no secret key to encrypt connection tokens: set {KEY_ENV} to a key "
            f"(several comma-separated keys to rotate), or {KEY_FILE_ENV} to a file holding it, "
            f"or provide the file {secret_file}; {_HOW_TO_GENERATE}"
        )

    @classmethod
    def _from_file(cls, path: Path, source: str) -> SecretBox:
        text = path.read_text(encoding="ascii", errors="replace")
        keys = [k for line in text.splitlines() for k in line.split(",") if k.strip()]
        if not keys:
            raise ConfigError(f"{source} ({path}) holds no key; {_HOW_TO_GENERATE}")
        return cls(keys)

    def encrypt(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt(self, blob: bytes) -> bytes:
        try:
            return self._fernet.decrypt(blob)
        except InvalidToken:
            raise _undecryptable() from None

    def encrypt_text(self, text: str) -> bytes:
        return self.encrypt(text.encode("utf-8"))

    def decrypt_text(self, blob: bytes) -> str:
        return self.decrypt(blob).decode("utf-8")

    def encrypt_json(self, obj: dict[str, Any]) -> bytes:
        return self.encrypt(json.dumps(obj, separators=(",", ":")).encode("utf-8"))

    def decrypt_json(self, blob: bytes) -> dict[str, Any]:
        value = json.loads(self.decrypt(blob))
        if not isinstance(value, dict):
            raise ConfigError("stored secrets are not a JSON object; re-enter the connection")
        return value

    def state_of(self, blob: bytes) -> BlobState:
        """Whether ``blob`` is under the first key, an older one, or none of the keys."""
        try:
            self._first.decrypt(blob)
        except InvalidToken:
            pass
        else:
            return BlobState.CURRENT
        try:
            self._fernet.decrypt(blob)
        except InvalidToken:
            return BlobState.UNREADABLE
        return BlobState.OLDER_KEY

    def rotate(self, blob: bytes) -> bytes:
        """``blob`` re-encrypted with the first key."""
        try:
            return self._fernet.rotate(blob)
        except InvalidToken:
            raise _undecryptable() from None


class BlobState(enum.StrEnum):
    CURRENT = "current"  # encrypted with the first key
    OLDER_KEY = "older_key"  # readable with a later key: rotate before removing that key
    UNREADABLE = "unreadable"  # no configured key opens it


def _encrypted_columns() -> list[tuple[sa.Table, sa.Column[Any]]]:
    from ledgerbridge.store.tables import connections, integrations

    return [
        (connections, connections.c.secrets),
        (integrations, integrations.c.button_secret_encrypted),
    ]


def stored_states(engine: Engine, box: SecretBox) -> Counter[BlobState]:
    """How many stored secrets are under the first key, an older key, or no key at all."""
    states: Counter[BlobState] = Counter()
    with engine.connect() as conn:
        for _table, column in _encrypted_columns():
            for (blob,) in conn.execute(sa.select(column).where(column.is_not(None))):
                states[box.state_of(bytes(blob))] += 1
    return states


def rotate_stored(engine: Engine, box: SecretBox) -> int:
    """Re-encrypt every stored secret under an older key with the first key; values unchanged.

    Returns how many were rewritten. Each row is swapped only if it still holds the blob that
    was read: a token refresh that wrote meanwhile wins (run this after every process has been
    restarted with the new key first, so such writers use it too). A secret no key opens
    stops the rotation with the usual error, before anything is lost.
    """
    rewritten = 0
    for table, column in _encrypted_columns():
        with engine.connect() as conn:
            rows = conn.execute(sa.select(table.c.id, column).where(column.is_not(None))).all()
        for ident, raw in rows:
            blob = bytes(raw)
            if box.state_of(blob) is BlobState.CURRENT:
                continue
            fresh = box.rotate(blob)
            with engine.begin() as conn:
                swapped = conn.execute(
                    sa.update(table)
                    .where(table.c.id == ident, column == blob)
                    .values({column.name: fresh})
                ).rowcount
            rewritten += swapped
    return rewritten


def _undecryptable() -> ConfigError:
    return ConfigError(
        "stored secrets cannot be decrypted with the configured secret key: the key "
        f"changed or is wrong; set {KEY_ENV} to the key used before (put a new key "
        "first and the old one after it, comma-separated, to rotate)"
    )


def _generated_key_file(data_dir: Path) -> Path:
    """The key file in ``data_dir``, created with mode 0600 on first use."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / GENERATED_KEY_FILE
    if path.exists():
        return path
    # Write a private temporary file, then link it into place: linking fails when the file
    # exists, so when two processes start at once exactly one key wins and nobody ever reads
    # a half-written file.
    tmp = data_dir / f".{GENERATED_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(Fernet.generate_key().decode("ascii") + "\n")
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
