"""After a run that asks for it, the integration's address gets the summary by e-mail."""

from __future__ import annotations

from collections.abc import Mapping
from email import message_from_bytes
from email.message import Message
from typing import Any

from ledgerbridge.connectors.faults import FaultPlan
from ledgerbridge.connectors.memory import MemoryConnector, TickingClock
from ledgerbridge.domain.runs import RunStatus
from ledgerbridge.engine.model import SyncRequest
from ledgerbridge.notify.settings import SmtpSettings
from ledgerbridge.notify.summary import SummaryMailer
from ledgerbridge.recipes.starter import starter_config
from ledgerbridge.store import Store
from tests.integration.notify.mailserver import free_port, mail_server
from tests.support.world import World


def _refuse_globex(module: str, fields: Mapping[str, Any]) -> str | None:
    if module == "Contacts" and fields.get("Name") == "Globex":
        return "ContactName is on a blocked list"
    return None


def _world(store: Store, email: str | None = "ops@example.com") -> World:
    clock = TickingClock()
    books = MemoryConnector("books", clock=clock, faults=FaultPlan(fail_records=_refuse_globex))
    config = starter_config().model_copy(update={"notify_email": email})
    w = World.build(store, config, books=books, clock=clock)
    w.crm.put("Accounts", {"Account_Name": "Acme", "Email": "a@acme.test"})
    w.crm.put("Accounts", {"Account_Name": "Globex", "Email": "g@globex.test"})
    return w


def _settings(port: int) -> SmtpSettings:
    return SmtpSettings.model_validate(
        {"host": "127.0.0.1", "port": port, "tls": "none", "sender": "lb@example.com"}
    )


def _body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_the_summary_lists_counts_and_each_failure_with_its_reason(store: Store) -> None:
    w = _world(store)
    with mail_server() as (inbox, port):
        w.engine.notifier = SummaryMailer(_settings(port))
        report = w.sync(SyncRequest(email_summary=True))
    assert report.status is RunStatus.PARTIAL
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.rcpt_tos == ["ops@example.com"]
    assert isinstance(envelope.content, bytes)
    message = message_from_bytes(envelope.content)
    assert message["Subject"] == "ledgerbridge: demo sync partial, 1 record failed"
    body = _body(message)
    assert "accounts: from CRM: created 1, failed 1" in body
    assert "Records that failed:" in body
    assert "Globex" in body
    assert "ContactName is on a blocked list" in body
    assert report.notice is None


def test_no_mail_unless_the_run_asks_or_without_an_address(store: Store) -> None:
    w = _world(store, email=None)
    with mail_server() as (inbox, port):
        w.engine.notifier = SummaryMailer(_settings(port))
        w.sync(SyncRequest(email_summary=True))
        w.crm.put("Accounts", {"Account_Name": "Initech"})
        w.sync(SyncRequest())
    assert inbox.messages == []


def test_a_failed_send_is_noted_on_the_run_and_never_fails_it(store: Store) -> None:
    w = _world(store)
    w.engine.notifier = SummaryMailer(_settings(free_port()))  # nothing listens there
    report = w.sync(SyncRequest(email_summary=True))
    assert report.status is RunStatus.PARTIAL
    assert report.error is None
    assert report.notice is not None
    assert "the summary e-mail to ops@example.com was not sent" in report.notice
    assert report.run_id is not None
    assert store.runs.notice(report.run_id) == report.notice
    assert store.runs.get(report.run_id).status is RunStatus.PARTIAL
