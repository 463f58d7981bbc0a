"""A Xero emulator per test, reached in-process through spec validation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.conformance import ValidatingTransport
from ledgerbridge.sandbox.core.ledger import CallLedger
from ledgerbridge.sandbox.core.oauth import OAuthServer
from ledgerbridge.sandbox.core.transport import InProcessTransport
from ledgerbridge.sandbox.xero import XeroState, create_app

API = "/api.xro/2.0"
START = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)


@dataclass
class Xero:
    app: FastAPI
    state: XeroState
    clock: VirtualClock
    oauth: OAuthServer
    ledger: CallLedger
    transport: ValidatingTransport
    client: httpx.Client
    access_token: str
    # requests the spec itself forbids (too long, bad JSON) go around the validation
    raw: httpx.Client

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token or self.access_token}",
            "xero-tenant-id": self.state.tenant_id,
        }

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return self.client.get(API + path, **kwargs)  # type: ignore[arg-type]

    def put(self, path: str, **kwargs: object) -> httpx.Response:
        return self.client.put(API + path, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, **kwargs: object) -> httpx.Response:
        return self.client.post(API + path, **kwargs)  # type: ignore[arg-type]


def make_xero(*, limits: bool = False) -> Xero:
    clock = VirtualClock(START)
    clock.freeze()
    state = XeroState(clock)
    app = create_app(state, limits=limits)
    oauth: OAuthServer = app.state.oauth
    pair = oauth.issue_for_tests(scope="offline_access accounting.contacts accounting.transactions")
    transport = ValidatingTransport(InProcessTransport(app))
    client = httpx.Client(transport=transport, base_url="https://api.xero.com")
    client.headers.update(
        {"Authorization": f"Bearer {pair.access_token}", "xero-tenant-id": state.tenant_id}
    )
    raw = httpx.Client(
        transport=InProcessTransport(app),
        base_url="https://api.xero.com",
        headers=dict(client.headers),
    )
    return Xero(
        app, state, clock, oauth, app.state.ledger, transport, client, pair.access_token, raw
    )


@pytest.fixture
def xero() -> Iterator[Xero]:
    made = make_xero()
    yield made
    made.client.close()
    made.raw.close()
    made.state.close()
