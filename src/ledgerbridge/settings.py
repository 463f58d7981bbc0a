"""Settings from the environment (``LEDGERBRIDGE_*``), a settings file or secret files.

Where a value comes from, the first that has it wins: the environment, the settings file
(``.env`` syntax: ``./ledgerbridge.env``, or the file ``LEDGERBRIDGE_SETTINGS_FILE`` names),
then a file per setting in the secrets directory (``LEDGERBRIDGE_SECRETS_DIR``, by default
``/run/secrets`` when it exists): the file ``ledgerbridge_secret_key`` there holds
``LEDGERBRIDGE_SECRET_KEY``, as Docker and Kubernetes secrets are mounted.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import secrets
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledgerbridge.domain.errors import ConfigError

SETTINGS_FILE_ENV = "LEDGERBRIDGE_SETTINGS_FILE"
SECRETS_DIR_ENV = "LEDGERBRIDGE_SECRETS_DIR"
DEFAULT_SECRETS_DIR = Path("/run/secrets")
SESSION_SECRET_FILE = "session.secret"  # noqa: S105 - a file name

# Values people leave in example files; refused as secrets outside development.
PLACEHOLDERS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "change_me",
        "changethis",
        "secret",
        "placeholder",
        "dev",
        "development",
        "test",
        "password",
        "example",
        "default",
        "xxx",
        "todo",
        "none",
        "null",
    }
)
MIN_SESSION_SECRET = 32

_MAKE_KEY = (
    'generate one with: python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"'
)
_MAKE_SESSION_KEY = (
    'generate one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
)


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class LogFormat(enum.StrEnum):
    JSON = "json"  # one JSON object per line, for log collectors
    TEXT = "text"  # for a person reading a terminal


class Settings(BaseSettings):
    """Every setting has an environment variable ``LEDGERBRIDGE_<NAME>``.

    SMTP settings (``LEDGERBRIDGE_SMTP_*``) live in :mod:`ledgerbridge.notify.settings`.
    """

    model_config = SettingsConfigDict(
        env_prefix="LEDGERBRIDGE_",
        env_file=("ledgerbridge.env",),
        extra="ignore",
    )

    # ``development`` makes missing secrets up (kept in ``data_dir``) and accepts weak ones;
    # ``production`` refuses to start without real ones.
    environment: Environment = Environment.DEVELOPMENT
    # SQLite database, generated development secrets and file-backed demo systems live here.
    data_dir: Path = Field(default=Path(".ledgerbridge"))
    # SQLAlchemy URL of the state database, e.g. postgresql+psycopg://user:pw@host/db;
    # unset means a SQLite file in ``data_dir``. May hold a password: a secret file works.
    database_url: str | None = None
    # Least severe log level written: DEBUG, INFO, WARNING, ERROR.
    log_level: str = "INFO"
    # ``json`` or ``text``; unset means text in development and JSON in production.
    log_format: LogFormat | None = None
    # Fernet key(s) that encrypt tokens and client secrets at rest; several comma-separated
    # to rotate (the first encrypts, all decrypt). Unset in development: a key is generated
    # into ``data_dir/secret.key`` once.
    secret_key: SecretStr | None = None
    # A file holding the secret key(s), one per line or comma-separated.
    secret_key_file: Path | None = None
    # Signs portal login sessions (32 characters or more). Unset in development: generated
    # into ``data_dir/session.secret`` once.
    session_secret: SecretStr | None = None
    # Whether the web server answers ``/metrics`` (Prometheus text format).
    metrics_enabled: bool = True
    # ``ledgerbridge worker`` serves its own ``/metrics`` on this port when set (runs happen
    # in the workers, so their counters are only seen there).
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    # The address the worker's metrics listen on; 0.0.0.0 for a Prometheus on another host.
    metrics_host: str = "127.0.0.1"
    # Daily API calls of each connection kept for webhooks and single-record syncs: a run does
    # not start another flow once a connection has fewer left (it waits for the reset).
    api_reserve: int = Field(default=50, ge=0)
    # ``ledgerbridge worker``: jobs run at a time by one worker process.
    worker_concurrency: int = Field(default=2, ge=1)
    # How often a worker says it is alive.
    worker_heartbeat_seconds: float = Field(default=10.0, gt=0)
    # A worker silent this long is taken for dead: its jobs are queued again.
    worker_stalled_seconds: float = Field(default=60.0, gt=0)
    # Where Zoho CRM and Xero reach this installation (webhooks, CRM button URLs), e.g.
    # https://sync.example.com; a channel cannot be registered without it.
    public_url: str | None = None
    # Webhook events for one integration arriving within this many seconds make one batch.
    webhook_coalesce_seconds: float = Field(default=1.0, ge=0.0)

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("use one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @model_validator(mode="after")
    def _real_secrets_outside_development(self) -> Settings:
        if not self.development:
            problems = secret_problems(self)
            if problems:
                raise ValueError("; ".join(problems))
        return self

    @property
    def db_url(self) -> str:
        from ledgerbridge.store import sqlite_url

        return self.database_url or sqlite_url(self.data_dir)

    @property
    def development(self) -> bool:
        return self.environment is Environment.DEVELOPMENT

    @property
    def effective_log_format(self) -> LogFormat:
        if self.log_format is not None:
            return self.log_format
        return LogFormat.TEXT if self.development else LogFormat.JSON

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]

    def secret_key_environ(self) -> dict[str, str]:
        """The key settings in the shape :meth:`SecretBox.from_environment` reads."""
        environ: dict[str, str] = {}
        if self.secret_key is not None:
            raw = self.secret_key.get_secret_value()
            # A secret file may hold one key per line.
            environ["LEDGERBRIDGE_SECRET_KEY"] = ",".join(
                k.strip() for line in raw.splitlines() for k in line.split(",") if k.strip()
            )
        if self.secret_key_file is not None:
            environ["LEDGERBRIDGE_SECRET_KEY_FILE"] = str(self.secret_key_file)
        return environ


def _placeholder(value: str) -> bool:
    return value.strip().casefold() in PLACEHOLDERS


def secret_problems(settings: Settings) -> list[str]:
    """What is wrong with the secrets for a non-development installation, with the fix."""
    from cryptography.fernet import Fernet

    problems: list[str] = []
    if settings.secret_key is not None:
        keys = [
            k.strip()
            for line in settings.secret_key.get_secret_value().splitlines()
            for k in line.split(",")
        ]
        for position, key in enumerate(keys or [""], start=1):
            which = "LEDGERBRIDGE_SECRET_KEY" + (f" (key {position})" if len(keys) > 1 else "")
            if _placeholder(key):
                problems.append(f"{which} is a placeholder; {_MAKE_KEY}")
                continue
            try:
                Fernet(key.encode("ascii"))
            except (ValueError, UnicodeEncodeError):
                problems.append(
                    f"{which} is not a Fernet key (32 url-safe base64-encoded bytes, 44 "
                    f"characters); {_MAKE_KEY}"
                )
    if settings.session_secret is None:
        problems.append(
            f"LEDGERBRIDGE_SESSION_SECRET is not set (it signs portal logins); {_MAKE_SESSION_KEY}"
        )
    else:
        value = settings.session_secret.get_secret_value()
        if _placeholder(value):
            problems.append(f"LEDGERBRIDGE_SESSION_SECRET is a placeholder; {_MAKE_SESSION_KEY}")
        elif len(value.strip()) < MIN_SESSION_SECRET:
            problems.append(
                f"LEDGERBRIDGE_SESSION_SECRET is shorter than {MIN_SESSION_SECRET} characters; "
                f"{_MAKE_SESSION_KEY}"
            )
    return problems


def session_secret(settings: Settings) -> str:
    """The secret that signs portal sessions.

    Outside development it must be set (the settings refuse to load otherwise); in
    development one is generated into ``data_dir`` on first use and reused afterwards, so a
    restart does not log everybody out.
    """
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value().strip()
    if not settings.development:
        raise ConfigError(f"LEDGERBRIDGE_SESSION_SECRET is not set; {_MAKE_SESSION_KEY}")
    path = settings.data_dir / SESSION_SECRET_FILE
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        tmp = settings.data_dir / f".{SESSION_SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(secrets.token_urlsafe(48) + "\n")
            # Linking fails when another process won the race; its secret is then used.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()


def secrets_dir(environ: dict[str, str] | None = None) -> Path | None:
    """``LEDGERBRIDGE_SECRETS_DIR``, else ``/run/secrets`` when it exists, else none."""
    env = os.environ if environ is None else environ
    named = env.get(SECRETS_DIR_ENV, "").strip()
    if named:
        path = Path(named).expanduser()
        if not path.is_dir():
            raise ConfigError(
                f"{SECRETS_DIR_ENV} points at {path}, which is not a directory; create it "
                f"or unset {SECRETS_DIR_ENV}"
            )
        return path
    return DEFAULT_SECRETS_DIR if DEFAULT_SECRETS_DIR.is_dir() else None


def load_settings(settings_file: Path | None = None) -> Settings:
    """Settings, with a clear error naming the bad variable.

    ``settings_file`` defaults to ``LEDGERBRIDGE_SETTINGS_FILE`` when that is set.
    """
    if settings_file is None:
        named = os.environ.get(SETTINGS_FILE_ENV, "").strip()
        settings_file = Path(named).expanduser() if named else None
    if settings_file is not None and not settings_file.is_file():
        raise ConfigError(
            f"settings file {settings_file} does not exist; create it or unset {SETTINGS_FILE_ENV}"
        )
    directory = secrets_dir()
    try:
        if settings_file is not None:
            return Settings(_env_file=settings_file, _secrets_dir=directory)
        return Settings(_secrets_dir=directory)
    except ValidationError as exc:
        problems = "; ".join(_problem(e) for e in exc.errors())
        raise ConfigError(f"bad settings: {problems}") from None


def _problem(error: ErrorDetails) -> str:
    loc = error["loc"]
    message = error["msg"]
    if not loc:
        # A whole-model check already names its settings.
        return message.removeprefix("Value error, ")
    return f"LEDGERBRIDGE_{'_'.join(str(p) for p in loc).upper()}: {message}"
