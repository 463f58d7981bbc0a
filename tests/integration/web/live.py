"""Zoho CRM and Xero emulators served on loopback, an application whose real connectors talk to
them over HTTP, and ledgerbridge's web app served beside them.

Used by the web tests and by ``bench/latency.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from ledgerbridge.bootstrap import App, bootstrap
from ledgerbridge.connectors.http.tokens import TokenSet
from ledgerbridge.domain.config import FieldRule, FlowConfig, IntegrationConfig, KeyKind, MatchKey
from ledgerbridge.jobs.dispatch import Dispatcher
from ledgerbridge.sandbox import xero, zoho_crm
from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.oauth import OAuthServer, TokenAnswer
from ledgerbridge.sandbox.core.transport import ServedApp, serve_in_thread
from ledgerbridge.sandbox.xero.state import XeroState
from ledgerbridge.sandbox.zoho_crm.state import ZohoCrmState
from ledgerbridge.settings import Settings
from ledgerbridge.web.app import create_app
from ledgerbridge.web.channels import ChannelKeeper
from ledgerbridge.web.coalesce import Schedule, thread_timer
from ledgerbridge.web.credentials import WEBHOOK_KEY, set_connection_secret

INTEGRATION = "live"
CRM_SCOPE = "ZohoCRM.modules.ALL ZohoCRM.settings.ALL ZohoCRM.org.ALL ZohoCRM.notifications.ALL"
XERO_SCOPE = (
    "openid profile email offline_access accounting.contacts accounting.settings "
    "accounting.transactions"
)


def accounts_config(name: str = INTEGRATION) -> IntegrationConfig:
    """CRM Accounts <-> Xero Contacts both ways, matched by Account_Name / Name."""
    return IntegrationConfig(
        name=name,
        crm_connection="crm",
        books_connection="xero",
        flows=(
            FlowConfig(
                name="accounts",
                crm_module="Accounts",
                books_module="Contacts",
                match_keys=(MatchKey(crm="Account_Name", books="Name", kind=KeyKind.NAME),),
                fields=(
                    FieldRule(crm="Account_Name", books="Name"),
                    FieldRule(crm="Account_Number", books="AccountNumber"),
                ),
            ),
        ),
    )


@dataclass
class Emulators:
    crm: ZohoCrmState
    xero: XeroState
    crm_server: ServedApp
    xero_server: ServedApp
    crm_oauth: OAuthServer
    xero_oauth: OAuthServer


@contextmanager
def emulators(*, limits: bool = True) -> Iterator[Emulators]:
    """Both emulators on real time, served on free loopback ports."""
    clock = VirtualClock()
    crm = ZohoCrmState(clock=clock, notify_delay=0.05)
    books = XeroState(clock)
    books.webhooks.delay_seconds = 0.05
    crm_app = zoho_crm.create_app(crm, limits=limits)
    xero_app = xero.create_app(books, limits=limits)
    crm_server = ServedApp(crm_app)
    crm.api_domain = crm_server.url
    xero_server = ServedApp(xero_app)
    try:
        crm_server.start()
        xero_server.start()
        yield Emulators(
            crm, books, crm_server, xero_server, crm_app.state.oauth, xero_app.state.oauth
        )
    finally:
        crm_server.stop()
        xero_server.stop()
        books.webhooks.stop()
        crm.close()
        books.close()


def connect(app: App, emu: Emulators) -> None:
    """Stored connections ``crm`` and ``xero`` pointed at the emulators, with fresh tokens."""
    crm_url, xero_url = emu.crm_server.url, emu.xero_server.url
    crm_pair = emu.crm_oauth.issue_for_tests(scope=CRM_SCOPE)
    crm_tokens = _tokens(emu, crm_pair, {"api_domain": crm_url})
    app.store.connections.add(
        "crm",
        "zoho_crm",
        {"client_id": zoho_crm.CLIENT_ID, "accounts_url": crm_url, "api_domain": crm_url},
        {
            "client_secret": zoho_crm.CLIENT_SECRET,
            "tokens": crm_tokens,
        },
    )
    xero_tokens = _tokens(emu, emu.xero_oauth.issue_for_tests(scope=XERO_SCOPE), {})
    app.store.connections.add(
        "xero",
        "xero",
        {
            "client_id": xero.CLIENT_ID,
            "tenant_id": emu.xero.tenant_id,
            "api_base": f"{xero_url}/api.xro/2.0",
            "connections_url": f"{xero_url}/connections",
            "token_url": f"{xero_url}/connect/token",
        },
        {
            "client_secret": xero.CLIENT_SECRET,
            "tokens": xero_tokens,
        },
    )
    set_connection_secret(app.store, "xero", WEBHOOK_KEY, emu.xero.webhook_key)


def _tokens(emu: Emulators, pair: TokenAnswer, extra: dict[str, Any]) -> dict[str, Any]:
    expires = emu.crm.clock.now() + timedelta(seconds=pair.expires_in)
    return TokenSet(pair.access_token, pair.refresh_token, expires, extra).to_secrets()


def application(tmp_path: Path, db_url: str | None = None, *, coalesce: float = 0.2) -> App:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=db_url, webhook_coalesce_seconds=coalesce
    )
    return bootstrap(settings)


@dataclass
class Web:
    app: App
    server: ServedApp

    @property
    def url(self) -> str:
        return self.server.url


@contextmanager
def web(app: App, dispatcher: Dispatcher, *, schedule: Schedule = thread_timer) -> Iterator[Web]:
    server = serve_in_thread(create_app(app, dispatcher, schedule=schedule))
    try:
        yield Web(app, server)
    finally:
        server.stop()


def hook_up(site: Web, emu: Emulators, integration: str = INTEGRATION) -> None:
    """Point the Xero emulator's webhooks and a Zoho CRM channel at the web app."""
    emu.xero.webhooks.configure(f"{site.url}/webhooks/xero/{integration}")
    status = ChannelKeeper(site.app, site.url).ensure(site.app.store.integrations.get(integration))
    if status.action != "registered":
        raise AssertionError(f"the Zoho CRM channel was not registered: {status}")
