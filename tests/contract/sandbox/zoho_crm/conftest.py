"""Fixtures: a Zoho CRM emulator on a frozen virtual clock, every call checked against the spec."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.conformance import ValidatingTransport
from ledgerbridge.sandbox.core.ledger import CallLedger
from ledgerbridge.sandbox.core.oauth import OAuthServer
from ledgerbridge.sandbox.core.transport import InProcessTransport, client_for
from ledgerbridge.sandbox.zoho_crm import ZohoCrmState, create_app

START = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)
BASE = "http://crm.sandbox.test"


@dataclass
class Crm:
    """The emulator, its state and a validated client carrying a fresh access token."""

    app: FastAPI
    state: ZohoCrmState
    clock: VirtualClock
    oauth: OAuthServer
    ledger: CallLedger
    transport: ValidatingTransport
    client: httpx.Client
    token: str
    #: around the validator, for inputs the real service takes but the spec does not describe
    raw: httpx.Client

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        wanted = {"Authorization": f"Zoho-oauthtoken {token or self.token}", **(headers or {})}
        return self.client.request(
            method, "/crm/v8" + path, params=params, json=json, headers=wanted
        )

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.call("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.call("POST", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.call("PUT", path, json=json, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.call("DELETE", path, **kw)

    def insert(self, module: str, *records: dict[str, Any]) -> list[str]:
        """Insert through the API and return the new ids (all must succeed)."""
        answer = self.post(f"/{module}", {"data": list(records), "trigger": []})
        assert answer.status_code == 201, answer.text
        return [item["details"]["id"] for item in answer.json()["data"]]


@dataclass
class Receiver:
    """A notification endpoint that keeps what it was sent."""

    app: FastAPI
    bodies: list[dict[str, Any]] = field(default_factory=list)


def _receiver() -> Receiver:
    app = FastAPI()
    receiver = Receiver(app)

    @app.post("/zoho/notify")
    async def notify(request: Request) -> dict[str, str]:
        receiver.bodies.append(await request.json())
        return {"status": "ok"}

    return receiver


@pytest.fixture
def receiver() -> Receiver:
    return _receiver()


@pytest.fixture
def crm(receiver: Receiver) -> Iterator[Crm]:
    clock = VirtualClock(START)
    clock.freeze()
    state = ZohoCrmState(clock=clock, api_domain=BASE, notify_delay=0.05)
    state.sender.set_client(client_for(receiver.app, "http://hooks.test"))
    ledger = CallLedger()
    app = create_app(state, ledger=ledger)
    transport = ValidatingTransport(InProcessTransport(app))
    client = httpx.Client(transport=transport, base_url=BASE, timeout=30)
    oauth: OAuthServer = app.state.oauth
    token = oauth.issue_for_tests().access_token
    raw = httpx.Client(transport=InProcessTransport(app), base_url=BASE, timeout=30)
    yield Crm(app, state, clock, oauth, ledger, transport, client, token, raw)
    # every CRM call a test made through the validated client was checked against a spec
    skipped = [r for r in transport.unvalidated if r.path.startswith("/crm/")]
    assert skipped == []
    client.close()
    raw.close()
    state.close()


def account(name: str, **extra: Any) -> dict[str, Any]:
    return {"Account_Name": name, **extra}


def contact(last: str, email: str | None = None, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"Last_Name": last, **extra}
    if email is not None:
        found["Email"] = email
    return found


def error_of(answer: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = answer.json()
    return body


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return START.replace(hour=hour, minute=minute, second=second)
