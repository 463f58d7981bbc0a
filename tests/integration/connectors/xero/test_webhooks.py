"""Webhooks the emulator sends: signatures checked, events read as records to fetch."""

from __future__ import annotations

import threading

import httpx
import pytest

from ledgerbridge.connectors.xero import WebhookBatch, signature_valid
from ledgerbridge.connectors.xero.webhooks import SIGNATURE_HEADER
from tests.integration.connectors.xero.emulator import Xero


def test_signed_batches_verify_and_name_the_records_to_fetch(world: Xero) -> None:
    received: list[httpx.Request] = []
    done = threading.Event()

    def receive(request: httpx.Request) -> httpx.Response:
        request.read()
        received.append(request)
        done.set()
        ok = signature_valid(request.content, request.headers.get(SIGNATURE_HEADER), key)
        return httpx.Response(200 if ok else 401)

    key = world.state.webhook_key
    world.state.webhooks.sender.set_client(httpx.Client(transport=httpx.MockTransport(receive)))
    world.state.webhooks.configure("https://ledgerbridge.example/webhooks/xero")
    intent = world.state.webhooks.intent_to_receive()
    assert intent.ok  # a good signature gets 200, a bad one 401

    contact = world.state.add_contact(Name="Hooked")
    world.state.edit_contact(contact["ContactID"], EmailAddress="hooked@example.com")
    assert world.state.webhooks.flush()
    assert done.wait(5)
    body = received[-1].content
    assert signature_valid(body, received[-1].headers[SIGNATURE_HEADER], key)
    assert not signature_valid(body + b" ", received[-1].headers[SIGNATURE_HEADER], key)
    assert not signature_valid(body, None, key)

    batch = WebhookBatch.parse(body)
    assert [e.event_type for e in batch.events] == ["CREATE", "UPDATE"]
    assert batch.changed(world.state.tenant_id.upper()) == {"Contacts": [contact["ContactID"]]}
    assert batch.changed("another-tenant") == {}
    fetched = world.connector().get_many(
        "Contacts", batch.changed(world.state.tenant_id)["Contacts"]
    )
    assert fetched[0].get("EmailAddress") == "hooked@example.com"


def test_a_body_that_is_not_a_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="webhook"):
        WebhookBatch.parse(b'{"events": "nope"}')
