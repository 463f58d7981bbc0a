"""The Zoho CRM connector against the Zoho CRM emulator, every exchange checked by the v8 spec."""

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
from ledgerbridge.connectors.zoho_crm import SCOPES, ZohoCrmConnector
from ledgerbridge.connectors.zoho_crm.accounts import oauth_app
from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.conformance import ValidatingTransport
from ledgerbridge.sandbox.core.faults import FaultConfig
from ledgerbridge.sandbox.core.ledger import CallLedger
from ledgerbridge.sandbox.core.oauth import OAuthServer
from ledgerbridge.sandbox.core.transport import InProcessTransport
from ledgerbridge.sandbox.zoho_crm import CLIENT_ID, CLIENT_SECRET, ZohoCrmState, create_app
from tests.contract.connectors.subject import Subject

START = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)
BASE = "http://crm.sandbox.test"
MISSING_ID = "6051205000099999999"


@dataclass
class CrmWorld:
    """The emulator, the connector pointed at it, and the switches tests turn."""

    app: FastAPI
    state: ZohoCrmState
    clock: VirtualClock
    oauth: OAuthServer
    ledger: CallLedger
    transport: httpx.BaseTransport
    http: httpx.Client
    store: MemoryTokenStore
    connector: ZohoCrmConnector | None = None
    slept: list[float] = field(default_factory=list)
    validator: ValidatingTransport | None = None

    @property
    def crm(self) -> ZohoCrmConnector:
        assert self.connector is not None
        return self.connector

    def calls(self, method: str | None = None) -> int:
        return self.ledger.total("zoho_crm", method)

    def statuses(self) -> list[int]:
        return [e.status for e in self.ledger.entries()]

    def sleep(self, seconds: float) -> None:
        """Waiting costs nothing: the emulator's clock moves instead."""
        self.slept.append(seconds)
        self.clock.advance(seconds)

    def new_connector(self, **kw: Any) -> ZohoCrmConnector:
        """Another connector on its own client (a connector owns its client's auth)."""
        http = httpx.Client(transport=self.transport, base_url=BASE, timeout=30)
        store = kw.pop("token_store", self.store)
        return _connector(self, http, store, **kw)


def _connector(
    world: CrmWorld, http: httpx.Client, store: MemoryTokenStore, **kw: Any
) -> ZohoCrmConnector:
    options: dict[str, Any] = {
        "api_domain": BASE,
        "clock": world.clock.now,
        "limits": Limits(concurrency=10),
        "sleep": world.sleep,
        "monotonic": world.clock.timestamp,
        "describe_modules": ("Accounts", "Contacts", "Products"),
    }
    options.update(kw)
    app = oauth_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, accounts=BASE, scopes=SCOPES)
    return ZohoCrmConnector(http, app=app, token_store=store, **options)


@contextmanager
def crm_world(
    *,
    validate: bool = True,
    faults: FaultConfig | None = None,
    wrap: Callable[[httpx.BaseTransport], httpx.BaseTransport] | None = None,
    frozen: bool = True,
    **connector_options: Any,
) -> Iterator[CrmWorld]:
    clock = VirtualClock(START)
    if frozen:
        clock.freeze()
    state = ZohoCrmState(clock=clock, api_domain=BASE, notify_delay=0.05)
    ledger = CallLedger()
    app = create_app(state, ledger=ledger, faults=faults)
    transport: httpx.BaseTransport = InProcessTransport(app)
    validator = ValidatingTransport(transport) if validate else None
    if validator is not None:
        transport = validator
    if wrap is not None:
        transport = wrap(transport)
    http = httpx.Client(transport=transport, base_url=BASE, timeout=30)
    oauth: OAuthServer = app.state.oauth
    answer = oauth.issue_for_tests(scope="ZohoCRM.modules.ALL offline_access")
    store = MemoryTokenStore(
        TokenSet(
            access_token=answer.access_token,
            refresh_token=answer.refresh_token,
            expires_at=clock.now() + timedelta(seconds=answer.expires_in),
            extra={"api_domain": BASE},
        ),
        secrets={"client_secret": CLIENT_SECRET},
    )
    world = CrmWorld(app, state, clock, oauth, ledger, transport, http, store, validator=validator)
    world.connector = _connector(world, http, store, **connector_options)
    try:
        yield world
    finally:
        http.close()
        state.close()


def contact(i: int) -> dict[str, Any]:
    return {"First_Name": "Contract", "Last_Name": f"Person {i}", "Email": f"c{i}@example.com"}


@contextmanager
def subject() -> Iterator[Subject]:
    with crm_world() as world:
        state = world.state

        def put(fields: dict[str, Any]) -> str:
            return str(state.create("Contacts", fields)["id"])

        def edit(record_id: str, changes: dict[str, Any]) -> None:
            state.edit("Contacts", record_id, changes)

        yield Subject(
            name="zoho_crm",
            connector=world.crm,
            module="Contacts",
            make_fields=contact,
            invalid_fields={"First_Name": "No Last Name", "Email": "nolast@example.com"},
            key_field="Email",
            key_of=lambda f: str(f["Email"]),
            put=put,
            edit=edit,
            advance=world.clock.advance,
            calls=world.calls,
            update_field="Title",
            update_value=lambda i: f"Changed title {i}",
            read_update=lambda f: f.get("Title"),
            extra={"missing_ids": [MISSING_ID], "world": world},
        )
