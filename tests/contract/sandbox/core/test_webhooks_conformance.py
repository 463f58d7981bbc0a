"""Outgoing webhook delivery and spec validation of exchanged calls."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from ledgerbridge.sandbox.core.conformance import (
    ConformanceError,
    ValidatingTransport,
    spec_dir,
)
from ledgerbridge.sandbox.core.transport import InProcessTransport, client_for, serve_in_thread
from ledgerbridge.sandbox.core.webhooks import WebhookSender

TENANT = "00000000-0000-0000-0000-000000000001"
XERO_HEADERS = {"Authorization": "Bearer token", "xero-tenant-id": TENANT}


def _receiver(fail_first: int) -> tuple[FastAPI, list[bytes]]:
    app = FastAPI()
    received: list[bytes] = []
    calls = {"n": 0}

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        calls["n"] += 1
        if calls["n"] <= fail_first:
            return Response(status_code=503)
        received.append(await request.body())
        return Response(status_code=200)

    return app, received


def test_sender_retries_and_flushes_over_a_socket() -> None:
    app, received = _receiver(fail_first=1)
    served = serve_in_thread(app)
    sender = WebhookSender(timeout=2, retries=2, backoff_seconds=0.01)
    try:
        sender.send(f"{served.url}/hook", {"events": []}, {"x-xero-signature": "sig"})
        sender.send(f"{served.url}/hook", b'{"n":2}')
        assert sender.flush(5)
    finally:
        sender.stop()
        served.stop()
    assert received == [b'{"events":[]}', b'{"n":2}']
    assert [s.status for s in sender.sent] == [200, 200]
    assert sender.sent[0].attempts == 2
    assert sender.sent[0].headers["x-xero-signature"] == "sig"


def test_sender_gives_up_on_unreachable_target_without_blocking() -> None:
    app, _ = _receiver(fail_first=0)
    sender = WebhookSender(client_for(app), retries=1, backoff_seconds=0.01)
    sender.send("http://testserver/missing", {"a": 1})
    assert sender.flush(5)
    assert sender.sent[0].status == 404
    sender.set_client(httpx.Client(transport=httpx.MockTransport(_refuse)))
    sender.send("http://unreachable.invalid/hook", {"a": 1})
    assert sender.flush(5)
    assert sender.sent[1].status is None
    assert sender.sent[1].attempts == 2
    assert "ConnectError" in (sender.sent[1].error or "")
    sender.stop()


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


def _xero_like(contacts: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.get("/api.xro/2.0/Contacts")
    def contacts_list() -> dict[str, Any]:
        return {
            "Id": "6f5c4a3e-0000-0000-0000-000000000000",
            "Status": "OK",
            "ProviderName": "ledgerbridge sandbox",
            "DateTimeUTC": "/Date(1551399321043)/",
            "Contacts": contacts,
        }

    @app.get("/connections")
    def connections() -> JSONResponse:
        return JSONResponse([{"id": TENANT, "tenantId": TENANT, "tenantType": "ORGANISATION"}])

    @app.post("/connect/token")
    def token() -> dict[str, str]:
        return {"access_token": "a"}

    return app


def _validating(app: FastAPI) -> tuple[httpx.Client, ValidatingTransport]:
    transport = ValidatingTransport(InProcessTransport(app))
    return httpx.Client(transport=transport, base_url="http://sandbox.test"), transport


def test_spec_dir_is_found() -> None:
    assert (spec_dir() / "xero" / "xero_accounting.yaml").is_file()


def test_valid_exchange_passes_and_is_recorded() -> None:
    good = {"ContactID": TENANT, "Name": "Acme", "UpdatedDateUTC": "/Date(1551399321043+0000)/"}
    client, transport = _validating(_xero_like([good]))
    assert client.get("/api.xro/2.0/Contacts", headers=XERO_HEADERS).status_code == 200
    assert client.get("/connections", headers={"Authorization": "Bearer token"}).is_success
    assert client.post("/connect/token").is_success
    assert [(v.method, v.path) for v in transport.validated] == [
        ("GET", "/api.xro/2.0/Contacts"),
        ("GET", "/connections"),
    ]
    assert [v.path for v in transport.unvalidated] == ["/connect/token"]


def test_request_without_tenant_header_fails() -> None:
    client, _ = _validating(_xero_like([]))
    with pytest.raises(ConformanceError, match="xero-tenant-id"):
        client.get("/api.xro/2.0/Contacts", headers={"Authorization": "Bearer token"})


def test_answer_outside_the_schema_fails() -> None:
    client, _ = _validating(_xero_like([{"ContactID": "not-a-guid", "IsSupplier": "yes"}]))
    with pytest.raises(ConformanceError) as failure:
        client.get("/api.xro/2.0/Contacts", headers=XERO_HEADERS)
    assert failure.value.stage == "answer"
    assert "IsSupplier" in str(failure.value) or "not-a-guid" in str(failure.value)
