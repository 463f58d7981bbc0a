"""Summaries sent to a real SMTP server on loopback: plain, STARTTLS with AUTH, implicit TLS."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path

import pytest
from pydantic import SecretStr

from ledgerbridge.notify.settings import SmtpSettings, SmtpTls
from ledgerbridge.notify.smtp import SendError, SmtpMailer
from tests.integration.notify.mailserver import (
    PASSWORD,
    USER,
    free_port,
    mail_server,
    self_signed,
)


def _message(body: str = "hello") -> EmailMessage:
    m = EmailMessage()
    m["Subject"] = "test"
    m["From"] = "ledgerbridge@example.com"
    m["To"] = "ops@example.com"
    m.set_content(body)
    return m


def _settings(port: int, **values: object) -> SmtpSettings:
    return SmtpSettings.model_validate(
        {"host": "127.0.0.1", "port": port, "tls": "none", "timeout": 10, **values}
    )


def test_plain_smtp_delivers_the_message() -> None:
    with mail_server() as (inbox, port):
        SmtpMailer(_settings(port)).send(_message("counts"))
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.rcpt_tos == ["ops@example.com"]
    assert isinstance(envelope.content, bytes)
    assert message_from_bytes(envelope.content).get_payload().strip() == "counts"


def test_starttls_with_a_self_signed_certificate_and_auth(tmp_path: Path) -> None:
    cert = self_signed(tmp_path)
    with mail_server(starttls=cert, auth=True) as (inbox, port):
        settings = _settings(
            port,
            tls="starttls",
            username=USER,
            password=PASSWORD,
            ca_file=str(cert.cert),
        )
        SmtpMailer(settings).send(_message())
    assert inbox.logins == [USER]
    assert len(inbox.messages) == 1


def test_starttls_refuses_an_untrusted_certificate(tmp_path: Path) -> None:
    cert = self_signed(tmp_path)
    with (
        mail_server(starttls=cert) as (inbox, port),
        pytest.raises(SendError, match="TLS with the mail server"),
    ):
        SmtpMailer(_settings(port, tls="starttls")).send(_message())
    assert inbox.messages == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_implicit_tls(tmp_path: Path) -> None:
    cert = self_signed(tmp_path)
    with mail_server(implicit_tls=cert, auth=True) as (inbox, port):
        settings = _settings(
            port, tls="ssl", username=USER, password=PASSWORD, ca_file=str(cert.cert)
        )
        SmtpMailer(settings).send(_message())
    assert inbox.logins == [USER]
    assert len(inbox.messages) == 1


def test_a_wrong_password_is_reported_without_the_password(tmp_path: Path) -> None:
    cert = self_signed(tmp_path)
    wrong = "not-the-password"
    with mail_server(starttls=cert, auth=True) as (inbox, port):
        mailer = SmtpMailer(
            _settings(port, tls="starttls", username=USER, password=wrong, ca_file=str(cert.cert))
        )
        with pytest.raises(SendError, match="refused the login of mailer") as caught:
            mailer.send(_message())
    assert wrong not in str(caught.value)
    assert inbox.messages == []


def test_an_unreachable_server_is_a_send_error() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(SendError, match="could not be reached"):
        SmtpMailer(_settings(port)).send(_message())


def test_settings_come_from_the_environment_and_hide_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_SMTP_HOST", "mail.example.com")
    monkeypatch.setenv("LEDGERBRIDGE_SMTP_TLS", "ssl")
    monkeypatch.setenv("LEDGERBRIDGE_SMTP_USERNAME", "bot")
    monkeypatch.setenv("LEDGERBRIDGE_SMTP_PASSWORD", "hunter2")
    monkeypatch.setenv("LEDGERBRIDGE_SMTP_FROM", "sync@example.com")
    settings = SmtpSettings(_env_file=None)
    assert settings.tls is SmtpTls.SSL
    assert settings.effective_port == 465
    assert settings.sender == "sync@example.com"
    assert settings.password == SecretStr("hunter2")
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings.model_dump())
