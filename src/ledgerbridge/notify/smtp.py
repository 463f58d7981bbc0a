"""Sending one message through SMTP, with TLS as configured and AUTH when a user is set."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from ledgerbridge.domain.errors import ConfigError, LedgerbridgeError
from ledgerbridge.notify.settings import SmtpSettings, SmtpTls


class SendError(LedgerbridgeError):
    """The mail server refused the message or could not be reached (no secret in the text)."""


class SmtpMailer:
    def __init__(self, settings: SmtpSettings) -> None:
        if not settings.configured:
            raise ConfigError("no SMTP server is set; set LEDGERBRIDGE_SMTP_HOST to send e-mail")
        self.settings = settings

    def _context(self) -> ssl.SSLContext:
        cafile = str(self.settings.ca_file) if self.settings.ca_file is not None else None
        context = ssl.create_default_context()
        if cafile is not None:
            context.load_verify_locations(cafile=cafile)
        return context

    def send(self, message: EmailMessage) -> None:
        s = self.settings
        host = s.host or ""
        where = f"{host}:{s.effective_port}"
        try:
            client: smtplib.SMTP
            if s.tls is SmtpTls.SSL:
                client = smtplib.SMTP_SSL(
                    host, s.effective_port, timeout=s.timeout, context=self._context()
                )
            else:
                client = smtplib.SMTP(host, s.effective_port, timeout=s.timeout)
            with client:
                if s.tls is SmtpTls.STARTTLS:
                    client.starttls(context=self._context())
                if s.username:
                    password = s.password.get_secret_value() if s.password else ""
                    client.login(s.username, password)
                client.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(
                f"the mail server {where} refused the login of {s.username} ({exc.smtp_code}); "
                "check LEDGERBRIDGE_SMTP_USERNAME and LEDGERBRIDGE_SMTP_PASSWORD"
            ) from None
        except smtplib.SMTPException as exc:
            reason = _reason(exc)
            raise SendError(f"the mail server {where} refused the message: {reason}") from None
        except ssl.SSLError as exc:
            raise SendError(f"TLS with the mail server {where} failed: {exc.reason}") from None
        except OSError as exc:
            raise SendError(f"the mail server {where} could not be reached: {exc}") from None


def _reason(exc: smtplib.SMTPException) -> str:
    code = getattr(exc, "smtp_code", None)
    error = getattr(exc, "smtp_error", None)
    if isinstance(error, bytes):
        error = error.decode("utf-8", "replace")
    if code is not None:
        return f"{code} {error}"
    return str(exc) or type(exc).__name__
