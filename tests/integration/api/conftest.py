"""API tests: the web app served on loopback over a store on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerbridge.bootstrap import App
from ledgerbridge.store import IntegrationRow
from tests.integration.web.live import accounts_config, application, web
from tests.support.dispatch import RecordingDispatcher

PROBLEM = "application/problem+json"
PASSWORD = "correct horse battery staple"


@dataclass
class Api:
    """The app, what it dispatched, a client and a valid token for it."""

    app: App
    dispatcher: RecordingDispatcher
    http: httpx.Client
    token: str
    users: dict[str, str] = field(default_factory=dict)  # e-mail -> that user's token

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def as_user(self, email: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.users[email]}"}

    def add_user(self, email: str, *, admin: bool = False) -> int:
        """A portal user with a token of their own (``as_user(email)``)."""
        user = self.app.store.users.create(email, PASSWORD, admin=admin)
        self.users[email] = self.app.store.tokens.create(f"{email} token", user_id=user.id).secret
        return user.id

    def integration(self, name: str = "live") -> IntegrationRow:
        return self.app.store.integrations.get(name)

    def queued_nothing(self) -> bool:
        return self.dispatcher.syncs == [] and self.dispatcher.records == []

    def snapshot(self) -> Any:
        """Everything a refused request must leave alone: connections (with secrets),
        integrations (with flows, state and owner) and tokens (their use aside)."""
        store = self.app.store
        return (
            [(c, store.connections.secrets(c.name)) for c in store.connections.list()],
            store.integrations.list(),
            [(t.id, t.name, t.revoked, t.user_id) for t in store.tokens.list()],
        )


def refused(answer: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    """Assert a problem document with ``status`` whose detail has every word; return it."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    assert body["title"]
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


def fields(body: dict[str, Any]) -> list[str]:
    """The field paths a 422 names."""
    return [e["field"] for e in body.get("errors") or []]


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
