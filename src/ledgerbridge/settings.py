"""Settings from the environment (``LEDGERBRIDGE_*``) or a settings file."""

from __future__ import annotations

import enum
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledgerbridge.domain.errors import ConfigError


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every setting has an environment variable ``LEDGERBRIDGE_<NAME>``.

    A settings file (``.env`` syntax, ``./ledgerbridge.env`` or the file given to
    :func:`load_settings`) is read too; the environment wins over the file.
    """

    model_config = SettingsConfigDict(
        env_prefix="LEDGERBRIDGE_",
        env_file=("ledgerbridge.env",),
        extra="ignore",
    )

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = Field(default=Path(".ledgerbridge"))
    database_url: str | None = None
    log_level: str = "INFO"
    # Daily API calls of each connection kept for webhooks and single-record syncs: a run does
    # not start another flow once a connection has fewer left (it waits for the reset).
    api_reserve: int = Field(default=50, ge=0)
    # ``ledgerbridge worker``: jobs at a time, and how a dead worker is noticed (its jobs are
    # queued again once it sent no heartbeat for ``worker_stalled_seconds``).
    worker_concurrency: int = Field(default=2, ge=1)
    worker_heartbeat_seconds: float = Field(default=10.0, gt=0)
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

    @property
    def db_url(self) -> str:
        from ledgerbridge.store import sqlite_url

        return self.database_url or sqlite_url(self.data_dir)

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None

    @property
    def development(self) -> bool:
        return self.environment is Environment.DEVELOPMENT


def load_settings(settings_file: Path | None = None) -> Settings:
    """Settings, with a clear error naming the bad variable."""
    try:
        if settings_file is not None:
            if not settings_file.is_file():
                raise ConfigError(
                    f"settings file {settings_file} does not exist; create it or unset "
                    "LEDGERBRIDGE_SETTINGS_FILE"
                )
            return Settings(_env_file=settings_file)
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"LEDGERBRIDGE_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        raise ConfigError(f"bad settings: {problems}") from exc
