"""The Zoho Books connector against the Zoho Books emulator, reached in-process over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from ledgerbridge.connectors.http.limiter import Limits
from ledgerbridge.connectors.http.tokens import MemoryTokenStore, TokenSet
from ledgerbridge.connectors.zoho_books import SCOPES, ZohoBooksConnector
from ledgerbridge.connectors.zoho_crm.accounts import oauth_app
from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.faults import FaultConfig
from ledgerbridge.sandbox.core.ledger import CallLedger
from ledgerbridge.sandbox.core.oauth import OAuthServer
from ledgerbridge.sandbox.core.transport import InProcessTransport
from ledgerbridge.sandbox.zoho_books import (
    CLIENT_ID,
    CLIENT_SECRET,
    SCOPE,
    ZohoBooksState,
    create_app,
)
from tests.contract.connectors.subject import Subject

START = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)
BASE = "http://books.sandbox.test"
MISSING_ID = "460000099999999"


@dataclass
class BooksWorld:
    """The emulator, the connector pointed at it, and the switches tests turn."""

    app: FastAPI
    state: ZohoBooksState
    clock: VirtualClock
    oauth: OAuthServer
    ledger: CallLedger
    transport: httpx.BaseTransport
    http: httpx.Client
    store: MemoryTokenStore
    org_id: str
    connector: ZohoBooksConnector | None = None
    slept: list[float] = field(default_factory=list)

    @property
    def books(self) -> ZohoBooksConnector:
        assert self.connector is not None
        return self.connector

    def calls(self, method: str | None = None) -> int:
        return self.ledger.total("zoho_books", method)

    def statuses(self) -> list[int]:
        return [e.status for e in self.ledger.entries()]

    def sleep(self, seconds: float) -> None:
        """Waiting costs nothing: the emulator's clock moves instead."""
        self.slept.append(seconds)
        self.clock.advance(seconds)

    def new_connector(self, **kw: Any) -> ZohoBooksConnector:
        """Another connector on its own client (a connector owns its client's auth)."""
        http = httpx.Client(transport=self.transport, base_url=BASE, timeout=30)
        return _connector(self, http, **kw)


def _connector(world: BooksWorld, http: httpx.Client, **kw: Any) -> ZohoBooksConnector:
    options: dict[str, Any] = {
        "organization_id": world.org_id,
        "api_domain": BASE,
        "clock": world.clock.now,
        "limits": Limits(per_minute=100, concurrency=10),
        "sleep": world.sleep,
        "monotonic": world.clock.timestamp,
    }
    options.update(kw)
    app = oauth_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, accounts=BASE, scopes=SCOPES)
    store = options.pop("token_store", world.store)
    return ZohoBooksConnector(http, app=app, token_store=store, **options)


@contextmanager
def books_world(
    *,
    faults: FaultConfig | None = None,
    wrap: Callable[[httpx.BaseTransport], httpx.BaseTransport] | None = None,
    limits: bool = True,
    **connector_options: Any,
) -> Iterator[BooksWorld]:
    clock = VirtualClock(START)
    clock.freeze()
    state = ZohoBooksState(clock=clock)
    ledger = CallLedger()
    app = create_app(state, ledger=ledger, faults=faults, limits=limits)
    org_id = state.default_organization_id
    transport: httpx.BaseTransport = InProcessTransport(app)
    if wrap is not None:
        transport = wrap(transport)
    http = httpx.Client(transport=transport, base_url=BASE, timeout=30)
    answer = state.oauth.issue_for_tests(scope=f"{SCOPE} offline_access")
    store = MemoryTokenStore(
        TokenSet(
            access_token=answer.access_token,
            refresh_token=answer.refresh_token,
            expires_at=clock.now() + timedelta(seconds=answer.expires_in),
            extra={"api_domain": BASE},
        ),
        secrets={"client_secret": CLIENT_SECRET},
    )
    world = BooksWorld(app, state, clock, state.oauth, ledger, transport, http, store, org_id)
    world.connector = _connector(world, http, **connector_options)
    try:
        yield world
    finally:
        http.close()
        state.close()


def company(i: int) -> dict[str, Any]:
    return {"contact_name": f"Contract Co {i}", "email": f"c{i}@example.com"}


@contextmanager
def subject() -> Iterator[Subject]:
    with books_world() as world:
        state = world.state

        def put(fields: dict[str, Any]) -> str:
            return str(state.create_contact(world.org_id, fields)["contact_id"])

        def edit(record_id: str, changes: dict[str, Any]) -> None:
            state.update_contact(world.org_id, record_id, changes)

        yield Subject(
            name="zoho_books",
            connector=world.books,
            module="contacts",
            make_fields=company,
            invalid_fields={"company_name": "A contact without a name"},
            key_field="contact_name",
            key_of=lambda f: str(f["contact_name"]),
            put=put,
            edit=edit,
            advance=world.clock.advance,
            calls=world.calls,
            update_field="company_name",
            update_value=lambda i: f"Changed Company {i}",
            read_update=lambda f: f.get("company_name"),
            extra={"missing_ids": [MISSING_ID], "world": world},
        )
