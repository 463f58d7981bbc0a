"""Xero webhooks from the Xero emulator: handshake, signatures, replays, records dispatched."""

from __future__ import annotations

import json

from ledgerbridge.domain.records import Side
from ledgerbridge.jobs.dispatch import RecordChange
from ledgerbridge.sandbox.xero.state import XeroState
from ledgerbridge.sandbox.xero.webhooks import SIGNATURE_HEADER, sign
from tests.integration.web.conftest import Site

PATH = "/webhooks/xero/live"


def test_the_intent_to_receive_handshake_passes(site: Site, xero_org: XeroState) -> None:
    xero_org.webhooks.configure(site.url + PATH)
    assert xero_org.webhooks.intent_to_receive().ok
    good = xero_org.webhooks.sent[0]
    assert (good.status, good.response_body) == (200, b"")
    assert site.dispatcher.records == []


def test_changed_contacts_are_dispatched_once_per_batch(site: Site, xero_org: XeroState) -> None:
    xero_org.webhooks.configure(site.url + PATH)
    contact = xero_org.add_contact(Name="Hooked Ltd")
    xero_org.edit_contact(contact["ContactID"], AccountNumber="H-1")
    assert xero_org.webhooks.flush()
    assert [s.status for s in xero_org.webhooks.sent] == [200]
    assert site.dispatcher.changes() == [RecordChange("accounts", Side.BOOKS, contact["ContactID"])]


def test_forged_and_unsigned_batches_are_refused(site: Site, xero_org: XeroState) -> None:
    contact = xero_org.add_contact(Name="Forged")
    body = json.dumps(
        {
            "events": [
                {
                    "resourceUrl": "https://api.xero.com/api.xro/2.0/Contacts/x",
                    "resourceId": contact["ContactID"],
                    "eventDateUtc": "2026-05-01T09:00:00.000",
                    "eventType": "UPDATE",
                    "eventCategory": "CONTACT",
                    "tenantId": xero_org.tenant_id,
                    "tenantType": "ORGANISATION",
                }
            ],
            "firstEventSequence": 5,
            "lastEventSequence": 5,
            "entropy": "ABCDEFGHIJ",
        }
    ).encode()
    wrong = sign(body, "not-the-key")
    right = sign(body, xero_org.webhook_key)
    for headers, content in (
        ({SIGNATURE_HEADER: wrong}, body),
        ({}, body),
        ({SIGNATURE_HEADER: right}, body.replace(b"UPDATE", b"CREATE")),
    ):
        answer = site.http.post(PATH, content=content, headers=headers)
        assert (answer.status_code, answer.content) == (401, b"")
    assert site.dispatcher.records == []
    assert site.http.post(PATH, content=body, headers={SIGNATURE_HEADER: right}).status_code == 200
    assert len(site.dispatcher.records) == 1


def test_a_replayed_batch_changes_nothing(site: Site, xero_org: XeroState) -> None:
    xero_org.webhooks.configure(site.url + PATH)
    xero_org.add_contact(Name="Once Only")
    assert xero_org.webhooks.flush()
    sent = xero_org.webhooks.sent[-1]
    assert len(site.dispatcher.records) == 1

    again = site.http.post(PATH, content=sent.body, headers=sent.headers)
    assert (again.status_code, again.content) == (200, b"")
    # The same sequence range with fresh entropy is the same delivery too.
    payload = json.loads(sent.body)
    payload["entropy"] = "ZZZZZZZZZZ"
    body = json.dumps(payload).encode()
    resent = site.http.post(
        PATH, content=body, headers={SIGNATURE_HEADER: sign(body, xero_org.webhook_key)}
    )
    assert resent.status_code == 200
    assert len(site.dispatcher.records) == 1


def test_unknown_integrations_paused_integrations_and_other_tenants(
    site: Site, xero_org: XeroState
) -> None:
    unknown = site.http.post("/webhooks/xero/nope", content=b"{}", headers={SIGNATURE_HEADER: "x"})
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"

    xero_org.webhooks.configure(site.url + PATH)
    site.app.store.integrations.set_state("live", "paused")
    xero_org.add_contact(Name="Waits For Polling")
    assert xero_org.webhooks.flush()
    assert xero_org.webhooks.sent[-1].status == 200
    assert site.dispatcher.records == []

    site.app.store.integrations.set_state("live", "active")
    site.app.store.connections.update_settings("xero", {"client_id": "x", "tenant_id": "another"})
    xero_org.add_contact(Name="Another Organisation")
    assert xero_org.webhooks.flush()
    assert xero_org.webhooks.sent[-1].status == 200
    assert site.dispatcher.records == []
