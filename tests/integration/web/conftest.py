"""Web tests: the web app served on loopback over a store on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ledgerbridge.bootstrap import App
from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.xero.state import XeroState
from ledgerbridge.web.credentials import WEBHOOK_KEY, set_connection_secret
from tests.integration.web.live import Web, accounts_config, application, web
from tests.support.dispatch import RecordingDispatcher


@dataclass
class Site:
    """The served web app, what it dispatched, and a client for it."""

    app: App
    web: Web
    dispatcher: RecordingDispatcher
    http: httpx.Client

    @property
    def url(self) -> str:
        return self.web.url


@pytest.fixture
def xero_org() -> Iterator[XeroState]:
    """A Xero emulator whose outgoing webhooks are all that is used (not served).

    Its batching timer never fires within a test: tests send each batch with ``flush()``, so
    which events share a batch never depends on timing.
    """
    state = XeroState(VirtualClock())
    state.webhooks.delay_seconds = 600.0
    try:
        yield state
    finally:
        state.webhooks.stop()
        state.close()


@pytest.fixture
def site(db_url: str, tmp_path: Path, xero_org: XeroState) -> Iterator[Site]:
    """Integration ``live`` with a Xero connection on ``xero_org``; batches go out at once."""
    app = application(tmp_path, db_url, coalesce=0.0)
    try:
        app.store.connections.add("crm", "zoho_crm", {"client_id": "x"}, {})
        app.store.connections.add(
            "xero", "xero", {"client_id": "x", "tenant_id": xero_org.tenant_id}, {}
        )
        set_connection_secret(app.store, "xero", WEBHOOK_KEY, xero_org.webhook_key)
        app.store.integrations.create(accounts_config())
        dispatcher = RecordingDispatcher()
        with web(app, dispatcher) as served, httpx.Client(base_url=served.url) as http:
            yield Site(app, served, dispatcher, http)
    finally:
        app.close()
