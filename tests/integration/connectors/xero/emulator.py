"""A Xero emulator with a connector pointed at it, in-process and checked against the spec."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from ledgerbridge.connectors.http.limiter import Limits
from ledgerbridge.connectors.http.tokens import MemoryTokenStore, TokenSet
from ledgerbridge.connectors.xero import XERO_LIMITS, XeroConnector, XeroSettings
from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.conformance import ValidatingTransport
from ledgerbridge.sandbox.core.faults import FaultInjector
from ledgerbridge.sandbox.core.ledger import CallLedger
from ledgerbridge.sandbox.core.oauth import OAuthServer
from ledgerbridge.sandbox.core.transport import InProcessTransport
from ledgerbridge.sandbox.xero import CLIENT_ID, CLIENT_SECRET, XeroState, create_app

START = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
SCOPE = (
    "openid profile email offline_access accounting.contacts accounting.settings "
    "accounting.transactions"
)


@dataclass
class Xero:
    """The emulated organisation and what reaches it."""

    app: FastAPI
    state: XeroState
    clock: VirtualClock
    oauth: OAuthServer
    ledger: CallLedger
    faults: FaultInjector
    transport: ValidatingTransport
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self) -> httpx.Client:
        """A client whose calls are checked against Xero's OpenAPI spec."""
        made = httpx.Client(transport=self.transport, timeout=30.0)
        self.clients.append(made)
        return made

    def token_store(self, *, ttl: int | None = None) -> MemoryTokenStore:
        pair = self.oauth.issue_for_tests(scope=SCOPE)
        expires = self.clock.now() + timedelta(seconds=ttl or pair.expires_in)
        tokens = TokenSet(pair.access_token, pair.refresh_token, expires)
        return MemoryTokenStore(tokens, secrets={"client_secret": CLIENT_SECRET})

    def settings(self, **changes: Any) -> XeroSettings:
        return XeroSettings(client_id=CLIENT_ID, tenant_id=self.state.tenant_id, **changes)

    def connector(
        self,
        store: MemoryTokenStore | None = None,
        *,
        limits: Limits = XERO_LIMITS,
        settings: XeroSettings | None = None,
        http: httpx.Client | None = None,
    ) -> XeroConnector:
        """A connector on the virtual clock: its waits move the clock instead of sleeping."""
        chosen = settings or self.settings()
        return XeroConnector(
            http or self.client(),
            settings=chosen,
            app=chosen.oauth_client(CLIENT_SECRET),
            token_store=store or self.token_store(),
            clock=self.clock.now,
            limits=limits,
            sleep=self.sleep,
            monotonic=self.clock.timestamp,
        )

    def sleep(self, seconds: float) -> None:
        self.clock.advance(max(seconds, 0.0))

    def count(self, method: str, path: str) -> int:
        return self.ledger.counts("xero").get(f"{method} /api.xro/2.0/{path}", 0)


@contextmanager
def xero(*, limits: bool = True, start: datetime = START) -> Iterator[Xero]:
    clock = VirtualClock(start)
    clock.freeze()
    state = XeroState(clock)
    app = create_app(state, limits=limits)
    transport = ValidatingTransport(InProcessTransport(app))
    made = Xero(
        app,
        state,
        clock,
        app.state.oauth,
        app.state.ledger,
        app.state.faults,
        transport,
    )
    try:
        yield made
    finally:
        for client in made.clients:
            client.close()
        transport.close()
        state.close()
