"""API tests: the web app served on loopback over a store on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ledgerbridge.bootstrap import App
from ledgerbridge.store import IntegrationRow
from tests.integration.web.live import accounts_config, application, web
from tests.support.dispatch import RecordingDispatcher

PROBLEM = "application/problem+json"


@dataclass
class Api:
    """The app, what it dispatched, a client and a valid token for it."""

    app: App
    dispatcher: RecordingDispatcher
    http: httpx.Client
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def integration(self, name: str = "live") -> IntegrationRow:
        return self.app.store.integrations.get(name)

    def queued_nothing(self) -> bool:
        return self.dispatcher.syncs == [] and self.dispatcher.records == []


@pytest.fixture
def api(db_url: str, tmp_path: Path) -> Iterator[Api]:
    """Integration ``live`` (accounts, both ways) and a token named ``tests``."""
    app = application(tmp_path, db_url, coalesce=0.0)
    try:
        app.store.connections.add("crm", "zoho_crm", {"client_id": "x"}, {})
        app.store.connections.add("xero", "xero", {"client_id": "x", "tenant_id": "t"}, {})
        app.store.integrations.create(accounts_config())
        token = app.store.tokens.create("tests").secret
        dispatcher = RecordingDispatcher()
        with web(app, dispatcher) as served, httpx.Client(base_url=served.url) as http:
            yield Api(app, dispatcher, http, token)
    finally:
        app.close()
