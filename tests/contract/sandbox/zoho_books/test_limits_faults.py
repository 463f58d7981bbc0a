"""Limits (per minute, per day, concurrency), faults, ledger and webhooks of the Books emulator."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.transport import client_for
from ledgerbridge.sandbox.zoho_books import SCOPE, ZohoBooksState, create_app
from tests.contract.sandbox.zoho_books.conftest import BooksApi


def test_100_calls_a_minute_per_organization_then_code_44(
    api: BooksApi, state: ZohoBooksState, clock: VirtualClock
) -> None:
    for _ in range(100):
        assert api.get("/contacts").status_code == 200
    refused = api.get("/contacts")
    assert refused.status_code == 429
    assert refused.json()["code"] == 44
    assert refused.headers["Retry-After"] == "60"
    # another organization has its own minute
    other = state.add_organization("Other")["organization_id"]
    assert api.get("/contacts", org=other).status_code == 200
    clock.advance(60)
    assert api.get("/contacts").status_code == 200


def test_daily_limit_resets_at_utc_midnight(clock: VirtualClock) -> None:
    app = create_app(ZohoBooksState(clock=clock, daily_limit=3))
    state: ZohoBooksState = app.state.sandbox
    with client_for(app, "http://books.test") as client:
        api = BooksApi(
            client,
            state.oauth.issue_for_tests(scope=SCOPE).access_token,
            state.default_organization_id,
        )
        for _ in range(3):
            assert api.get("/contacts").status_code == 200
        refused = api.get("/contacts")
        assert refused.status_code == 429
        assert refused.json()["code"] == 44
        assert "per day" in refused.json()["message"]
        assert int(refused.headers["Retry-After"]) == 12 * 3600
        clock.advance(12 * 3600)
        api.token = state.oauth.issue_for_tests(scope=SCOPE).access_token
        assert api.get("/contacts").status_code == 200


def test_limits_can_be_switched_off_through_the_admin_api(api: BooksApi) -> None:
    assert api.client.put("/_sandbox/limits", json={"enabled": False}).json() == {"enabled": False}
    for _ in range(120):
        assert api.get("/contacts").status_code == 200


def test_concurrent_calls_over_the_limit_get_429(clock: VirtualClock) -> None:
    app = create_app(ZohoBooksState(clock=clock), concurrency=1)
    state: ZohoBooksState = app.state.sandbox
    limiter = app.state.limiter
    org = state.default_organization_id
    with client_for(app, "http://books.test") as client:
        token = state.oauth.issue_for_tests(scope=SCOPE).access_token
        api = BooksApi(client, token, org)
        # hold the only slot as a call in flight would
        assert limiter.acquire(org).allowed
        refused = api.get("/contacts")
        assert refused.status_code == 429
        assert refused.json()["code"] == 44
        limiter.release(org)
        assert api.get("/contacts").status_code == 200


def test_fault_switches_5xx_and_dropped_connections(api: BooksApi) -> None:
    api.client.put("/_sandbox/faults", json={"error_5xx_rate": 1.0})
    broken = api.get("/contacts")
    assert broken.status_code == 500
    assert broken.json() == {"code": 1000, "message": "Internal error"}
    api.client.put("/_sandbox/faults", json={"error_5xx_rate": 0.0, "drop_rate": 1.0})
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/contacts")
    api.client.put("/_sandbox/faults", json={"drop_rate": 0.0, "rate_429": 1.0})
    assert api.get("/contacts").json()["code"] == 44


def test_ledger_counts_calls_by_path_template(api: BooksApi) -> None:
    made = api.ok("POST", "/contacts", json={"contact_name": "Counted"})["contact"]
    api.ok("GET", f"/contacts/{made['contact_id']}")
    api.ok("GET", f"/contacts/{made['contact_id']}")
    ledger = api.client.get("/_sandbox/ledger").json()
    assert ledger["counts"] == {
        "POST /books/v3/contacts": 1,
        "GET /books/v3/contacts/{contact_id}": 2,
    }
    assert ledger["total"] == 3


class _Receiver:
    """A webhook receiver app that keeps what it was sent."""

    def __init__(self) -> None:
        self.bodies: list[tuple[bytes, dict[str, str]]] = []
        self.app = FastAPI()
        self.lock = threading.Lock()

        @self.app.post("/hook")
        async def hook(request: Request) -> dict[str, str]:
            with self.lock:
                self.bodies.append((await request.body(), dict(request.headers)))
            return {}


@pytest.fixture
def receiver(app: FastAPI) -> Iterator[_Receiver]:
    receiver = _Receiver()
    with client_for(receiver.app, "http://hooks.test") as hook_client:
        app.state.webhooks.sender.set_client(hook_client)
        yield receiver


def test_record_changes_are_posted_to_the_webhook_with_a_signature(
    api: BooksApi, app: FastAPI, receiver: _Receiver
) -> None:
    api.client.post(
        "/_sandbox/webhooks", json={"url": "http://hooks.test/hook", "secret": "s3cret"}
    )
    made = api.ok("POST", "/contacts", json={"contact_name": "Hooked"})["contact"]
    api.ok("PUT", f"/contacts/{made['contact_id']}", json={"website": "hooked.example"})
    api.ok("DELETE", f"/contacts/{made['contact_id']}")
    assert app.state.webhooks.sender.flush(5)
    bodies: list[dict[str, Any]] = [json.loads(raw) for raw, _ in receiver.bodies]
    assert [(b["module"], b["operation"]) for b in bodies] == [
        ("contacts", "create"),
        ("contacts", "update"),
        ("contacts", "delete"),
    ]
    assert bodies[0]["contact"]["contact_name"] == "Hooked"
    assert bodies[2]["resource_id"] == made["contact_id"]
    raw, headers = receiver.bodies[0]
    expected = hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
    assert headers["x-zoho-webhook-signature"] == expected
