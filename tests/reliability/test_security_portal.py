"""Cross-check of the portal by crawling it as its users do.

Alice owns an integration with a run, and connections holding OAuth tokens and a client secret.
Every page reachable from her pages (links followed, forms found) is then requested:
- by Alice and by an administrator: no token or client secret ever appears in the HTML or CSV;
- by Bob, another user: none of Alice's pages shows him her integration or connections;
- by a visitor who is not logged in: every page sends him to the login page;
- every form Alice's pages carry, posted by her without its CSRF token, is refused and
  changes nothing stored.
The portal's own tests (tests/integration/portal) cover each rule on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledgerbridge.connectors.http.tokens import TokenSet
from ledgerbridge.engine.model import SyncRequest
from tests.integration.portal.conftest import (
    ADMIN_EMAIL,
    OTHER_EMAIL,
    USER_EMAIL,
    Portal,
    make_portal,
    memory_connections,
)

SECRETS = (
    "access-token-that-must-stay-hidden-0123456789",
    "refresh-token-that-must-stay-hidden-0123456789",
    "client-secret-that-must-stay-hidden-0123456789",
)
LINK = re.compile(r'(?:href|action|hx-get|hx-post|data-url)="(/[^"#]*)"')
FORM = re.compile(r'<form[^>]*method="post"[^>]*action="(/[^"]*)"', re.IGNORECASE)
SKIP = ("/static/", "/logout", "/events", "/progress")
MAX_PAGES = 40


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Portal]:
    yield from make_portal(tmp_path)


def _state(portal: Portal) -> str:
    store = portal.app.store
    return repr(
        (
            [(i.name, i.state, i.flows) for i in store.integrations.list()],
            [(c.name, c.settings) for c in store.connections.list()],
            [store.connections.secrets(c.name) for c in store.connections.list()],
        )
    )


def crawl(client: TestClient, start: str = "/") -> tuple[dict[str, str], set[str]]:
    """Pages reachable from ``start`` (path -> body) and the POST forms they carry."""
    seen: dict[str, str] = {}
    forms: set[str] = set()
    todo = [start]
    while todo and len(seen) < MAX_PAGES:
        path = todo.pop(0).replace("&amp;", "&")
        if path in seen or any(part in path for part in SKIP):
            continue
        answer = client.get(path)
        seen[path] = answer.text
        forms.update(f.replace("&amp;", "&") for f in FORM.findall(answer.text))
        todo += [p for p in LINK.findall(answer.text) if p not in seen]
    return seen, forms


def test_crawling_the_portal_shows_no_secret_and_nothing_of_another_user(
    portal: Portal,
) -> None:
    app = portal.app
    memory_connections(app, portal.user, crm="alice-crm", books="alice-books")
    tokens = TokenSet(SECRETS[0], SECRETS[1], datetime.now(UTC) + timedelta(hours=1), {})
    app.store.connections.add(
        "alice-xero",
        "xero",
        {"client_id": "alice-client", "tenant_id": "t"},
        {"client_secret": SECRETS[2], "tokens": tokens.to_secrets()},
        owner_id=portal.user.id,
    )
    from ledgerbridge.recipes import registry

    config = registry.build(
        "starter", name="alices-books", crm_connection="alice-crm", books_connection="alice-books"
    )
    row = app.store.integrations.create(config, owner_id=portal.user.id)
    app.engine.run(row, app.systems(row), SyncRequest())

    alice = portal.login(USER_EMAIL)
    pages, forms = crawl(alice)
    assert any("alices-books" in body for body in pages.values()), "the crawl missed her pages"
    assert len(pages) >= 5, sorted(pages)
    admin = portal.login(ADMIN_EMAIL, portal.new_client())
    admin_pages, _ = crawl(admin)
    for path, body in {**pages, **{f"admin {p}": b for p, b in admin_pages.items()}}.items():
        for secret in SECRETS:
            assert secret not in body, f"{path} shows a secret"

    bob = portal.login(OTHER_EMAIL, portal.new_client())
    for path in pages:
        # a filter Bob typed himself is echoed back in links; it shows him nothing of hers
        body = bob.get(path).text.replace("integration=alices-books", "")
        assert "alices-books" not in body, f"{path} shows Bob Alice's integration"
        assert "alice-xero" not in body, f"{path} shows Bob Alice's connection"

    visitor = portal.new_client()
    for path in pages:
        answer = visitor.get(path)
        # 405: a form action, which answers no GET to anybody
        assert answer.status_code in (302, 303, 401, 405), (path, answer.status_code)
        assert "alices-books" not in answer.text

    before = _state(portal)
    for action in sorted(forms - {"/logout", "/login"}):
        answer = alice.post(action, data={"confirm": "alices-books", "name": "alices-books"})
        assert answer.status_code in (400, 403), (action, answer.status_code)
    assert _state(portal) == before, "a form without its CSRF token changed something"
    assert portal.dispatcher.syncs == [] and portal.dispatcher.records == []
