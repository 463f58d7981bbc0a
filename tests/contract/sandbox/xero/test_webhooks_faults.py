"""Signed webhooks, the intent-to-receive probe, faults and the call ledger."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from ledgerbridge.sandbox.core.transport import ServedApp, serve_in_thread
from ledgerbridge.sandbox.xero.webhooks import SIGNATURE_HEADER
from tests.contract.sandbox.xero.conftest import API, Xero


class Receiver:
    """A webhook endpoint that checks signatures the way a Xero app must."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.accepted: list[bytes] = []
        self.app = FastAPI()

        @self.app.post("/hooks/xero")
        async def hook(request: Request) -> Response:
            body = await request.body()
            digest = hmac.new(self.key.encode(), body, hashlib.sha256).digest()
            expected = base64.b64encode(digest).decode()
            if not hmac.compare_digest(expected, request.headers.get(SIGNATURE_HEADER, "")):
                return Response(status_code=401)
            self.accepted.append(body)
            return Response(status_code=200)


@pytest.fixture
def receiver(xero: Xero) -> Iterator[tuple[Receiver, ServedApp]]:
    made = Receiver(xero.state.webhook_key)
    served = serve_in_thread(made.app)
    xero.client.post("/_sandbox/webhooks", json={"url": f"{served.url}/hooks/xero"})
    yield made, served
    served.stop()


def test_changes_arrive_as_signed_batches(xero: Xero, receiver: tuple[Receiver, ServedApp]) -> None:
    hooks, _ = receiver
    contact = xero.put("/Contacts", json={"Contacts": [{"Name": "Acme"}]}).json()["Contacts"][0]
    xero.post(f"/Contacts/{contact['ContactID']}", json={"Contacts": [{"FirstName": "Ann"}]})
    invoice = xero.state.add_invoice(
        Type="ACCREC",
        Contact={"ContactID": contact["ContactID"]},
        LineItems=[{"Description": "x", "UnitAmount": 5}],
    )
    xero.state.add_item(Code="NOHOOK")
    assert xero.state.webhooks.flush(5)
    events = [
        e for body in hooks.accepted for e in httpx.Response(200, content=body).json()["events"]
    ]
    assert [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in events] == [
        ("CONTACT", "CREATE", contact["ContactID"]),
        ("CONTACT", "UPDATE", contact["ContactID"]),
        ("INVOICE", "CREATE", invoice["InvoiceID"]),
    ]
    first = events[0]
    assert first["tenantId"] == xero.state.tenant_id
    assert first["tenantType"] == "ORGANISATION"
    assert first["resourceUrl"].endswith(f"/api.xro/2.0/Contacts/{contact['ContactID']}")
    assert first["eventDateUtc"].startswith("2030-05-01T09:00:00")
    payload = httpx.Response(200, content=hooks.accepted[0]).json()
    assert payload["firstEventSequence"] == 1
    assert payload["lastEventSequence"] == len(payload["events"])
    assert len(payload["entropy"]) == 20


def test_intent_to_receive_probe(xero: Xero, receiver: tuple[Receiver, ServedApp]) -> None:
    answer = xero.client.post("/_sandbox/webhooks/intent").json()
    assert answer == {"ok": True, "good_status": 200, "bad_status": 401}
    # a receiver holding the wrong key fails the handshake
    xero.client.post("/_sandbox/webhooks", json={"key": "some-other-key"})
    assert xero.client.post("/_sandbox/webhooks/intent").json()["ok"] is False


def test_ledger_counts_by_path_template(xero: Xero) -> None:
    contact = xero.state.add_contact(Name="Acme")
    xero.get(f"/Contacts/{contact['ContactID']}")
    xero.get("/contacts/" + contact["ContactID"])
    xero.get("/Contacts")
    xero.client.get("/connections")
    counts = xero.client.get("/_sandbox/ledger").json()["counts"]
    assert counts == {
        "GET /api.xro/2.0/Contacts/{ContactID}": 2,
        "GET /api.xro/2.0/Contacts": 1,
        "GET /Connections": 1,
    }
    xero.client.post("/_sandbox/ledger/reset")
    assert xero.client.get("/_sandbox/ledger").json()["total"] == 0


def test_server_errors_and_429_faults(xero: Xero) -> None:
    xero.client.put("/_sandbox/faults", json={"error_5xx_rate": 1.0})
    failed = xero.get("/Contacts")
    assert failed.status_code == 500
    assert "An error occurred" in failed.json()["Title"]
    xero.client.put("/_sandbox/faults", json={"error_5xx_rate": 0.0, "rate_429": 1.0})
    limited = xero.get("/Contacts")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert limited.headers["X-Rate-Limit-Problem"] == "minute"
    xero.client.put("/_sandbox/faults", json={"rate_429": 0.0})
    assert xero.get("/Contacts").status_code == 200
    statuses = [e.status for e in xero.ledger.entries()]
    assert statuses == [500, 429, 200]


def test_dropped_connections_over_a_socket(xero: Xero) -> None:
    served = serve_in_thread(xero.app)
    try:
        with httpx.Client(base_url=served.url, headers=xero.headers(), timeout=5) as client:
            assert client.get(f"{API}/Organisation").status_code == 200
            xero.client.put("/_sandbox/faults", json={"drop_rate": 1.0})
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                client.get(f"{API}/Organisation")
            xero.client.put("/_sandbox/faults", json={"drop_rate": 0.0})
            assert client.get(f"{API}/Organisation").status_code == 200
    finally:
        served.stop()
    assert xero.ledger.counts()["GET /api.xro/2.0/Organisation"] == 3
    assert [e.status for e in xero.ledger.entries()] == [200, 0, 200]


def test_admin_helpers(xero: Xero) -> None:
    tenant = xero.client.get("/_sandbox/tenant").json()
    assert tenant["tenant_id"] == xero.state.tenant_id
    minted = xero.client.post("/_sandbox/tokens").json()
    assert xero.get("/Organisation", headers=xero.headers(minted["access_token"])).is_success
    invoice = xero.state.add_invoice(
        Type="ACCREC",
        Contact={"Name": "Payer"},
        LineItems=[{"Description": "x", "UnitAmount": 40}],
        Status="AUTHORISED",
    )
    paid = xero.client.post(
        "/_sandbox/payments", json={"InvoiceID": invoice["InvoiceID"], "Amount": 46.0}
    ).json()
    assert paid["Status"] == "PAID"
    assert xero.client.get("/_sandbox/counts").json()["invoices"] == 1
