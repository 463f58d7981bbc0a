"""Zoho CRM and Zoho Books emulators on one virtual clock, their connectors, a store and the
zoho_books recipe: people act in either emulator, the engine syncs, tests read both sides."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ledgerbridge.connectors.http.limiter import Limits
from ledgerbridge.connectors.http.tokens import MemoryTokenStore, TokenSet
from ledgerbridge.connectors.zoho_books import SCOPES as BOOKS_SCOPES
from ledgerbridge.connectors.zoho_books import ZohoBooksConnector
from ledgerbridge.connectors.zoho_crm import SCOPES as CRM_SCOPES
from ledgerbridge.connectors.zoho_crm import ZohoCrmConnector
from ledgerbridge.connectors.zoho_crm.accounts import oauth_app
from ledgerbridge.domain.bindings import Binding
from ledgerbridge.domain.config import FlowConfig, IntegrationConfig
from ledgerbridge.domain.runs import Outcome, RunItem
from ledgerbridge.engine.fetch import fetch
from ledgerbridge.engine.model import RunReport, SyncRequest, Systems
from ledgerbridge.engine.sync import SyncEngine
from ledgerbridge.recipes.zoho_books import zoho_books_config
from ledgerbridge.sandbox import zoho_books as books_sandbox
from ledgerbridge.sandbox import zoho_crm as crm_sandbox
from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.ledger import CallLedger
from ledgerbridge.sandbox.core.oauth import OAuthServer
from ledgerbridge.sandbox.core.transport import InProcessTransport
from ledgerbridge.store import IntegrationRow, Store

START = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)
CRM_BASE = "http://crm.sandbox.test"
BOOKS_BASE = "http://books.sandbox.test"

# A person takes longer between two syncs than the engine's skew and overlap (5 s each).
GAP = timedelta(seconds=30)


def _tokens(oauth: OAuthServer, scope: str, clock: VirtualClock, secret: str) -> MemoryTokenStore:
    answer = oauth.issue_for_tests(scope=scope)
    return MemoryTokenStore(
        TokenSet(
            access_token=answer.access_token,
            refresh_token=answer.refresh_token,
            expires_at=clock.now() + timedelta(seconds=answer.expires_in),
            extra={"api_domain": CRM_BASE if "CRM" in scope else BOOKS_BASE},
        ),
        secrets={"client_secret": secret},
    )


@dataclass
class BooksSyncWorld:
    """Both emulators, their connectors, the integration and the engine that syncs it."""

    store: Store
    clock: VirtualClock
    crm_state: crm_sandbox.ZohoCrmState
    books_state: books_sandbox.ZohoBooksState
    org_id: str
    ledger: CallLedger
    integration: IntegrationRow
    engine: SyncEngine
    systems: Systems
    reports: list[RunReport] = field(default_factory=list)
    # Another Books (or ERP) organisation of the same emulator: a connector for it.
    books_for: Callable[[str], ZohoBooksConnector] | None = None

    # -- acting as people ----------------------------------------------------------------------

    def crm_put(self, module: str, fields: dict[str, Any]) -> str:
        return str(self.crm_state.create(module, fields)["id"])

    def books_contact(self, fields: dict[str, Any]) -> str:
        return str(self.books_state.create_contact(self.org_id, fields)["contact_id"])

    def books_item(self, fields: dict[str, Any]) -> str:
        return str(self.books_state.create_item(self.org_id, fields)["item_id"])

    # -- syncing -------------------------------------------------------------------------------

    def sync(self, flows: Sequence[str] = ()) -> RunReport:
        self.clock.advance(GAP.total_seconds())
        report = self.engine.run(self.integration, self.systems, SyncRequest(flows=tuple(flows)))
        self.reports.append(report)
        return report

    def fetch(self, flows: Sequence[str] = ()) -> RunReport:
        self.clock.advance(GAP.total_seconds())
        return fetch(self.engine, self.integration, self.systems, flows)

    # -- observing -----------------------------------------------------------------------------

    def books_all(self, kind: str) -> list[dict[str, Any]]:
        return list(self.books_state.list_records(self.org_id, kind).records)

    def crm(self, module: str, record_id: str) -> dict[str, Any]:
        found = self.crm_state.get(module, record_id)
        assert found is not None, f"{module} {record_id} is gone from the CRM"
        return found

    def bindings(self, flow: str) -> list[Binding]:
        return list(self.store.bindings.iter_all(self.integration.id, flow))

    def writes(self) -> Counter[str]:
        """Write calls so far per system (POST, PUT), read from the emulators' ledger."""
        out: Counter[str] = Counter()
        for system in ("zoho_crm", "zoho_books"):
            for method in ("POST", "PUT"):
                out[system] += self.ledger.total(system, method)
        return out

    def flow(self, name: str) -> FlowConfig:
        return self.integration.flow(name)


def outcomes(report: RunReport) -> dict[str, tuple[Outcome, str]]:
    """Each reported record by its label: what happened and why."""
    return {item.label: (item.outcome, item.reason) for item in report.items}


def items_of(report: RunReport, outcome: Outcome) -> list[RunItem]:
    return [i for i in report.items if i.outcome is outcome]


@contextmanager
def books_sync_world(
    store: Store, config: IntegrationConfig | None = None, *, product: str = "books"
) -> Iterator[BooksSyncWorld]:
    """The world for ``config`` (the recipe's defaults unless given); ``product`` erp talks to
    the same emulator under ``/erp/v3``."""
    config = config or zoho_books_config("zb")
    clock = VirtualClock(START)
    clock.freeze()
    ledger = CallLedger()
    with ExitStack() as stack:
        crm_state = crm_sandbox.ZohoCrmState(clock=clock, api_domain=CRM_BASE, notify_delay=0.05)
        stack.callback(crm_state.close)
        crm_app = crm_sandbox.create_app(crm_state, ledger=ledger)
        books_state = books_sandbox.ZohoBooksState(clock=clock)
        stack.callback(books_state.close)
        books_app = books_sandbox.create_app(books_state, ledger=ledger, limits=False)
        org_id = books_state.default_organization_id

        crm_http = httpx.Client(
            transport=InProcessTransport(crm_app), base_url=CRM_BASE, timeout=30
        )
        stack.callback(crm_http.close)
        books_http = httpx.Client(
            transport=InProcessTransport(books_app), base_url=BOOKS_BASE, timeout=30
        )
        stack.callback(books_http.close)

        def sleep(seconds: float) -> None:
            clock.advance(seconds)

        crm_oauth: OAuthServer = crm_app.state.oauth
        crm = ZohoCrmConnector(
            crm_http,
            app=oauth_app(
                client_id=crm_sandbox.CLIENT_ID,
                client_secret=crm_sandbox.CLIENT_SECRET,
                accounts=CRM_BASE,
                scopes=CRM_SCOPES,
            ),
            token_store=_tokens(
                crm_oauth,
                "ZohoCRM.modules.ALL offline_access",
                clock,
                crm_sandbox.CLIENT_SECRET,
            ),
            api_domain=CRM_BASE,
            clock=clock.now,
            limits=Limits(concurrency=10),
            sleep=sleep,
            monotonic=clock.timestamp,
            describe_modules=("Accounts", "Contacts", "Vendors", "Products"),
        )

        def books_for(org: str) -> ZohoBooksConnector:
            http = httpx.Client(
                transport=InProcessTransport(books_app), base_url=BOOKS_BASE, timeout=30
            )
            stack.callback(http.close)
            return ZohoBooksConnector(
                http,
                app=oauth_app(
                    client_id=books_sandbox.CLIENT_ID,
                    client_secret=books_sandbox.CLIENT_SECRET,
                    accounts=BOOKS_BASE,
                    scopes=BOOKS_SCOPES,
                ),
                token_store=_tokens(
                    books_state.oauth,
                    f"{books_sandbox.SCOPE} offline_access",
                    clock,
                    books_sandbox.CLIENT_SECRET,
                ),
                organization_id=org,
                product="erp" if product == "erp" else "books",
                api_domain=BOOKS_BASE,
                clock=clock.now,
                limits=Limits(per_minute=1000, concurrency=10),
                sleep=sleep,
                monotonic=clock.timestamp,
            )

        books = ZohoBooksConnector(
            books_http,
            product="erp" if product == "erp" else "books",
            app=oauth_app(
                client_id=books_sandbox.CLIENT_ID,
                client_secret=books_sandbox.CLIENT_SECRET,
                accounts=BOOKS_BASE,
                scopes=BOOKS_SCOPES,
            ),
            token_store=_tokens(
                books_state.oauth,
                f"{books_sandbox.SCOPE} offline_access",
                clock,
                books_sandbox.CLIENT_SECRET,
            ),
            organization_id=org_id,
            api_domain=BOOKS_BASE,
            clock=clock.now,
            limits=Limits(per_minute=1000, concurrency=10),
            sleep=sleep,
            monotonic=clock.timestamp,
        )
        store.connections.add(config.crm_connection, crm.system, {}, {})
        store.connections.add(config.books_connection, books.system, {}, {})
        integration = store.integrations.create(config)
        engine = SyncEngine(store, clock=clock.now)
        yield BooksSyncWorld(
            store,
            clock,
            crm_state,
            books_state,
            org_id,
            ledger,
            integration,
            engine,
            Systems(crm, books),
            books_for=books_for,
        )
