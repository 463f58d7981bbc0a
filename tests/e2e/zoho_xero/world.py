"""Zoho CRM and Xero emulators on one virtual clock, their connectors, and the recipe's engine.

People act in either system through the emulators' state objects; syncs run through the real
connectors over in-process HTTP, every exchange checked against the APIs' specs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ledgerbridge.connectors.http.limiter import Limits
from ledgerbridge.connectors.http.tokens import MemoryTokenStore, TokenSet
from ledgerbridge.connectors.xero import XERO_LIMITS, XeroConnector, XeroSettings
from ledgerbridge.connectors.zoho_crm import SCOPES, ZohoCrmConnector
from ledgerbridge.connectors.zoho_crm.accounts import oauth_app
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import RunItem
from ledgerbridge.engine.fetch import fetch
from ledgerbridge.engine.model import RunReport, SyncRequest, Systems
from ledgerbridge.engine.sync import SyncEngine
from ledgerbridge.recipes.zoho_xero import zoho_xero_config
from ledgerbridge.sandbox import xero as xero_sandbox
from ledgerbridge.sandbox import zoho_crm as crm_sandbox
from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.conformance import ValidatingTransport
from ledgerbridge.sandbox.core.oauth import OAuthServer
from ledgerbridge.sandbox.core.transport import InProcessTransport
from ledgerbridge.store import IntegrationRow, Store

START = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
CRM_BASE = "http://crm.sandbox.test"
XERO_SCOPE = (
    "openid profile email offline_access accounting.contacts accounting.settings "
    "accounting.transactions"
)
# Longer than the engine's skew and overlap, so each run reads what people did before it.
GAP = timedelta(seconds=30)


@dataclass
class Pair:
    """Both emulators, the integration on the recipe, and the runs so far."""

    clock: VirtualClock
    crm: crm_sandbox.ZohoCrmState
    xero: xero_sandbox.XeroState
    store: Store
    engine: SyncEngine
    systems: Systems
    integration: IntegrationRow
    reports: list[RunReport] = field(default_factory=list)

    def fetch(self, *flows: str) -> RunReport:
        self.clock.advance(GAP.total_seconds())
        report = fetch(self.engine, self.integration, self.systems, flows)
        self.reports.append(report)
        return report

    def sync(self, *flows: str) -> RunReport:
        self.clock.advance(GAP.total_seconds())
        report = self.engine.run(self.integration, self.systems, SyncRequest(flows=flows))
        self.reports.append(report)
        return report

    def crm_record(self, module: str, record_id: str) -> dict[str, Any]:
        found = self.crm.get(module, record_id)
        assert found is not None, f"no CRM {module} record {record_id}"
        return found

    def partner(self, flow: str, crm_id: str) -> str | None:
        found = self.store.bindings.get_many(self.integration.id, flow, Side.CRM, [crm_id])
        binding = found.get(crm_id)
        return None if binding is None else binding.books_id


def outcome(report: RunReport, side: Side, record_id: str) -> RunItem:
    """The one run item of ``record_id`` read on ``side``."""
    found = [i for i in report.items if i.side is side and i.record_id == record_id]
    assert len(found) == 1, (record_id, report.items)
    return found[0]


def _waiter(clock: VirtualClock) -> Callable[[float], None]:
    """Waiting costs nothing: the shared clock moves instead."""

    def wait(seconds: float) -> None:
        clock.advance(max(seconds, 0.0))

    return wait


def _crm_connector(clock: VirtualClock, oauth: OAuthServer, http: httpx.Client) -> ZohoCrmConnector:
    answer = oauth.issue_for_tests(scope="ZohoCRM.modules.ALL offline_access")
    tokens = MemoryTokenStore(
        TokenSet(
            access_token=answer.access_token,
            refresh_token=answer.refresh_token,
            expires_at=clock.now() + timedelta(seconds=answer.expires_in),
            extra={"api_domain": CRM_BASE},
        ),
        secrets={"client_secret": crm_sandbox.CLIENT_SECRET},
    )
    app = oauth_app(
        client_id=crm_sandbox.CLIENT_ID,
        client_secret=crm_sandbox.CLIENT_SECRET,
        accounts=CRM_BASE,
        scopes=SCOPES,
    )
    return ZohoCrmConnector(
        http,
        app=app,
        token_store=tokens,
        api_domain=CRM_BASE,
        clock=clock.now,
        limits=Limits(concurrency=10),
        sleep=_waiter(clock),
        monotonic=clock.timestamp,
    )


def _xero_connector(
    clock: VirtualClock, state: xero_sandbox.XeroState, oauth: OAuthServer, http: httpx.Client
) -> XeroConnector:
    pair = oauth.issue_for_tests(scope=XERO_SCOPE)
    tokens = MemoryTokenStore(
        TokenSet(
            pair.access_token,
            pair.refresh_token,
            clock.now() + timedelta(seconds=pair.expires_in),
        ),
        secrets={"client_secret": xero_sandbox.CLIENT_SECRET},
    )
    settings = XeroSettings.model_validate(
        {"client_id": xero_sandbox.CLIENT_ID, "tenant_id": state.tenant_id}
    )
    return XeroConnector(
        http,
        settings=settings,
        app=settings.oauth_client(xero_sandbox.CLIENT_SECRET),
        token_store=tokens,
        clock=clock.now,
        limits=XERO_LIMITS,
        sleep=_waiter(clock),
        monotonic=clock.timestamp,
    )


@contextmanager
def zoho_xero(store: Store, options: dict[str, str] | None = None) -> Iterator[Pair]:
    """Both emulators on one frozen clock and an integration on the recipe's default flows."""
    clock = VirtualClock(START)
    clock.freeze()
    crm_state = crm_sandbox.ZohoCrmState(clock=clock, api_domain=CRM_BASE)
    crm_app = crm_sandbox.create_app(crm_state)
    xero_state = xero_sandbox.XeroState(clock)
    xero_app = xero_sandbox.create_app(xero_state)
    crm_http = httpx.Client(
        transport=ValidatingTransport(InProcessTransport(crm_app)), base_url=CRM_BASE, timeout=30
    )
    xero_http = httpx.Client(
        transport=ValidatingTransport(InProcessTransport(xero_app)), timeout=30
    )
    try:
        crm = _crm_connector(clock, crm_app.state.oauth, crm_http)
        xero = _xero_connector(clock, xero_state, xero_app.state.oauth, xero_http)
        config = zoho_xero_config(options=options)
        store.connections.add(config.crm_connection, crm.system, {}, {})
        store.connections.add(config.books_connection, xero.system, {}, {})
        integration = store.integrations.create(config)
        engine = SyncEngine(store, clock=clock.now)
        yield Pair(clock, crm_state, xero_state, store, engine, Systems(crm, xero), integration)
    finally:
        crm_http.close()
        xero_http.close()
        crm_state.close()
        xero_state.close()
