"""A Xero emulator with a connector pointed at it, in-process and checked against the spec."""

from __future__ import annotations

import json
import random
import threading
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


class Recorder(httpx.BaseTransport):
    """Sees every exchange on its way to the emulator, and can disturb the token endpoint.

    ``fail_token`` answers that many token requests with a 503; ``token_barrier`` holds token
    requests until as many are in flight; ``extra_tenants`` are added to ``GET /connections``;
    ``lose_rate`` is the share of API writes whose answer is lost after Xero applied them.
    """

    def __init__(self, inner: httpx.BaseTransport, *, seed: int = 0) -> None:
        self.inner = inner
        self.lose_rate = 0.0
        self.lost = 0
        self._random = random.Random(seed)
        self.lock = threading.Lock()
        self.requests: list[httpx.Request] = []
        self.responses: list[httpx.Response] = []
        self.events: list[tuple[str, str]] = []
        self.fail_token = 0
        self.token_barrier: threading.Barrier | None = None
        self.extra_tenants: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.lower()
        with self.lock:
            self.requests.append(request)
            if path != "/connect/token":
                self.events.append(("request", request.headers.get("authorization", "")))
            failing = path == "/connect/token" and self.fail_token > 0
            if failing:
                self.fail_token -= 1
        if failing:
            return httpx.Response(503, text="Service Unavailable", request=request)
        if path == "/connect/token" and self.token_barrier is not None:
            self.token_barrier.wait(timeout=10)
        response = self.inner.handle_request(request)
        if request.method in ("PUT", "POST") and path.startswith("/api.xro/"):
            with self.lock:
                lose = self._random.random() < self.lose_rate
                self.lost += lose
            if lose:
                raise httpx.RemoteProtocolError("connection lost after the write", request=request)
        if path == "/connections" and self.extra_tenants and response.status_code == 200:
            response.read()
            body = [*json.loads(response.content), *self.extra_tenants]
            response = httpx.Response(200, json=body, request=request)
        with self.lock:
            self.responses.append(response)
        return response

    def token_requests(self) -> list[httpx.Request]:
        with self.lock:
            return [r for r in self.requests if r.url.path.lower() == "/connect/token"]

    def close(self) -> None:
        self.inner.close()


class EventStore(MemoryTokenStore):
    """A token store that notes each save among the recorder's events."""

    def __init__(self, tokens: TokenSet, recorder: Recorder) -> None:
        super().__init__(tokens, secrets={"client_secret": CLIENT_SECRET})
        self.recorder = recorder

    def save(self, tokens: TokenSet, expected_version: int) -> bool:
        saved = super().save(tokens, expected_version)
        if saved:
            with self.recorder.lock:
                self.recorder.events.append(("save", f"Bearer {tokens.access_token}"))
        return saved


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

    def client(self, transport: httpx.BaseTransport | None = None) -> httpx.Client:
        """A client whose calls are checked against Xero's OpenAPI spec."""
        made = httpx.Client(transport=transport or self.transport, timeout=30.0)
        self.clients.append(made)
        return made

    def recorder(self, *, seed: int = 0) -> Recorder:
        return Recorder(self.transport, seed=seed)

    def tokens(self, *, ttl: float | None = None) -> TokenSet:
        """A fresh token pair; ``ttl`` (seconds, may be negative) sets when we think it ends."""
        pair = self.oauth.issue_for_tests(scope=SCOPE)
        expires = self.clock.now() + timedelta(seconds=pair.expires_in if ttl is None else ttl)
        return TokenSet(pair.access_token, pair.refresh_token, expires)

    def token_store(self, *, ttl: float | None = None) -> MemoryTokenStore:
        return MemoryTokenStore(self.tokens(ttl=ttl), secrets={"client_secret": CLIENT_SECRET})

    def settings(self, **changes: Any) -> XeroSettings:
        given: dict[str, Any] = {"client_id": CLIENT_ID, "tenant_id": self.state.tenant_id}
        return XeroSettings.model_validate({**given, **changes})

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
