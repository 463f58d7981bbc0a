"""SMTP settings from the environment (``LEDGERBRIDGE_SMTP_*``) or the settings file."""

from __future__ import annotations

import enum
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledgerbridge.domain.errors import ConfigError


class SmtpTls(enum.StrEnum):
    NONE = "none"  # plain text: only for a relay on the same host or network
    STARTTLS = "starttls"  # connect in plain text, then upgrade (port 587)
    SSL = "ssl"  # TLS from the first byte (port 465)


_DEFAULT_PORTS = {SmtpTls.NONE: 25, SmtpTls.STARTTLS: 587, SmtpTls.SSL: 465}


class SmtpSettings(BaseSettings):
    """Where summaries are sent from; no host means no e-mail is sent at all.

    The password is a ``SecretStr``: it shows as ``**********`` in reprs and logs.
    """

    model_config = SettingsConfigDict(
        env_prefix="LEDGERBRIDGE_SMTP_",
        env_file=("ledgerbridge.env",),
        extra="ignore",
        populate_by_name=True,
    )

    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    tls: SmtpTls = SmtpTls.STARTTLS
    username: str | None = None
    password: SecretStr | None = None
    sender: str = Field(
        default="ledgerbridge@localhost",
        validation_alias=AliasChoices("LEDGERBRIDGE_SMTP_FROM", "sender"),
    )
    # A CA bundle to trust besides the system's (a private mail relay's certificate).
    ca_file: Path | None = None
    timeout: float = Field(default=30.0, gt=0)

    @property
    def configured(self) -> bool:
        return bool(self.host)

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else _DEFAULT_PORTS[self.tls]


def load_smtp_settings(settings_file: Path | None = None) -> SmtpSettings:
    """SMTP settings, with a clear error naming the bad variable."""
    try:
        if settings_file is not None:
            return SmtpSettings(_env_file=settings_file)
        return SmtpSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"LEDGERBRIDGE_SMTP_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        raise ConfigError(f"bad SMTP settings: {problems}") from exc
