"""Connecting systems from the portal: the OAuth flows against served sandboxes, end to end.

The portal and the three emulators each listen on a loopback port; the test's HTTP client is
the browser and follows the real redirect chain portal -> authorize -> callback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ledgerbridge.bootstrap import App
from ledgerbridge.connectors.http.tokens import TokenSet
from ledgerbridge.sandbox import xero, zoho_books, zoho_crm
from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.transport import ServedApp, serve_in_thread
from ledgerbridge.sandbox.xero.state import XeroState
from ledgerbridge.sandbox.zoho_books.state import ZohoBooksState
from ledgerbridge.sandbox.zoho_crm.state import ZohoCrmState
from ledgerbridge.web.app import create_app
from tests.integration.portal.conftest import (
    OTHER_EMAIL,
    PASSWORD,
    USER_EMAIL,
    add_user,
    csrf_of,
)
from tests.integration.web.live import application
from tests.support.dispatch import RecordingDispatcher


@dataclass
class World:
    app: App
    portal: str
    crm: str
    xero: str
    books: str
    xero_state: XeroState
    books_state: ZohoBooksState
    browser: httpx.Client

    def login(self, email: str = USER_EMAIL, browser: httpx.Client | None = None) -> None:
        client = browser or self.browser
        page = client.get("/login")
        answer = client.post(
            "/login",
            data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        )
        landed = answer.headers.get("location") if answer.status_code == 303 else answer.url.path
        assert landed == "/", answer.text

    def csrf(self, path: str = "/connections") -> str:
        return csrf_of(self.browser.get(path).text)

    def connect(self, name: str, system: str, base: str, **extra: str) -> httpx.Response:
        """Fill in the new-connection form for a sandbox and follow every redirect."""
        data = {
            "name": name,
            "system": system,
            "server": "sandbox",
            "base_url": base,
            "csrf_token": self.csrf("/connections/new"),
            **extra,
        }
        return self.browser.post("/connections", data=data)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = VirtualClock()
    crm_state = ZohoCrmState(clock=clock)
    xero_state = XeroState(clock)
    books_state = ZohoBooksState(clock=clock)
    servers: list[ServedApp] = []
    app = application(tmp_path)
    try:
        for user in (USER_EMAIL, OTHER_EMAIL):
            add_user(app, user)
        crm = serve_in_thread(zoho_crm.create_app(crm_state, limits=False))
        servers.append(crm)
        crm_state.api_domain = crm.url
        xero_server = serve_in_thread(xero.create_app(xero_state, limits=False))
        servers.append(xero_server)
        books = serve_in_thread(zoho_books.create_app(books_state, limits=False))
        servers.append(books)
        portal = serve_in_thread(create_app(app, RecordingDispatcher()))
        servers.append(portal)
        with httpx.Client(base_url=portal.url, follow_redirects=True, timeout=30) as browser:
            yield World(
                app,
                portal.url,
                crm.url,
                xero_server.url,
                books.url,
                xero_state,
                books_state,
                browser,
            )
    finally:
        for server in reversed(servers):
            server.stop()
        app.close()
        crm_state.close()
        xero_state.close()
        books_state.close()


def _tokens(app: App, name: str) -> TokenSet:
    secrets, _ = app.store.connections.secrets(name)
    return TokenSet.from_secrets(secrets["tokens"])


def test_connect_zoho_crm_through_the_sandbox(world: World) -> None:
    world.login()
    page = world.connect("crm", "zoho_crm", world.crm)
    assert page.status_code == 200
    assert page.url.path == "/connections"
    # The browser went to the sandbox's Zoho accounts server and came back with a code.
    hops = [str(r.url) for r in page.history]
    assert any(h.startswith(f"{world.crm}/oauth/v2/auth?") for h in hops)
    assert any("/connections/callback?" in h and "state=" in h for h in hops)
    assert "crm is connected." in page.text
    row = world.app.store.connections.get("crm")
    assert row.system == "zoho_crm"
    assert row.settings["server"] == "sandbox"
    assert row.settings["api_domain"] == world.crm
    assert row.settings["redirect_uri"] == f"{world.portal}/connections/callback"
    tokens = _tokens(world.app, "crm")
    assert tokens.access_token and tokens.refresh_token
    # The stored tokens work: the real connector reads the sandbox's organisation with them.
    org = world.app.connector("crm").describe()
    assert org.name
    # At rest the tokens are encrypted: the raw column does not contain them.
    import sqlalchemy as sa

    from ledgerbridge.store.tables import connections

    with world.app.store.engine.connect() as conn:
        blob = conn.execute(
            sa.select(connections.c.secrets).where(connections.c.name == "crm")
        ).scalar_one()
    assert tokens.access_token.encode() not in bytes(blob)
    assert b"sandbox-zoho-secret" not in bytes(blob)


def test_connect_xero_picks_its_only_tenant(world: World) -> None:
    world.login()
    page = world.connect("xero", "xero", world.xero)
    assert "xero is connected." in page.text
    assert any(str(r.url).startswith(f"{world.xero}/connect/authorize?") for r in page.history)
    row = world.app.store.connections.get("xero")
    assert row.settings["tenant_id"] == world.xero_state.tenant_id
    assert row.settings["token_url"] == f"{world.xero}/connect/token"
    assert row.owner_id == world.app.store.users.by_email(USER_EMAIL).id  # type: ignore[union-attr]
    listing = world.browser.get("/connections")
    assert 'id="connection-xero"' in listing.text
    assert "connected" in listing.text
    assert world.app.connector("xero").describe().base_currency


def test_connect_zoho_books_asks_which_organization(world: World) -> None:
    second = world.books_state.add_organization("Second Books Ltd", currency_code="EUR")
    world.login()
    page = world.connect("books", "zoho_books", world.books)
    assert page.url.path == "/connections/books/choose"
    assert "Second Books Ltd" in page.text
    row = world.app.store.connections.get("books")
    assert "organization_id" not in row.settings
    listing = world.browser.get("/connections")
    assert "choose an organisation" in listing.text
    chosen = world.browser.post(
        "/connections/books/choose",
        data={"choice": second["organization_id"], "csrf_token": csrf_of(page.text)},
    )
    assert chosen.url.path == "/connections"
    assert "books now uses Second Books Ltd." in chosen.text
    row = world.app.store.connections.get("books")
    assert row.settings["organization_id"] == second["organization_id"]
    bogus = world.browser.post(
        "/connections/books/choose",
        data={"choice": "999", "csrf_token": world.csrf()},
    )
    assert "Choose one of the organisations listed." in bogus.text
    assert (
        world.app.store.connections.get("books").settings["organization_id"]
        == second["organization_id"]
    )


def test_a_callback_needs_the_state_this_browser_started(world: World) -> None:
    world.login()
    stranger = httpx.Client(base_url=world.portal, follow_redirects=False, timeout=30)
    try:
        world.login(OTHER_EMAIL, stranger)
        # Start the flow in the first browser, but stop before the callback.
        world.browser.follow_redirects = False
        started = world.connect("crm", "zoho_crm", world.crm)
        authorize = started.headers["location"]
        back = httpx.get(authorize, follow_redirects=False).headers["location"]
        # Another user's browser cannot finish it, nor can a forged state.
        assert stranger.get(back).status_code == 400
        forged = re.sub(r"state=[^&]+", "state=forged", back)
        assert world.browser.get(forged).status_code == 400
        assert "tokens" not in world.app.store.connections.secrets("crm")[0]
        # The browser that started it finishes it, once.
        finished = world.browser.get(back)
        assert finished.status_code == 303
        assert "tokens" in world.app.store.connections.secrets("crm")[0]
        assert world.browser.get(back).status_code == 400
    finally:
        stranger.close()
        world.browser.follow_redirects = True


def test_refused_consent_leaves_the_connection_unconnected(world: World) -> None:
    world.login()
    world.browser.follow_redirects = False
    started = world.connect("xero", "xero", world.xero)
    state = re.search(r"state=([^&]+)", started.headers["location"])
    assert state is not None
    world.browser.follow_redirects = True
    page = world.browser.get(f"/connections/callback?error=access_denied&state={state.group(1)}")
    assert "did not authorise xero: access_denied" in page.text
    assert "tokens" not in world.app.store.connections.secrets("xero")[0]


def test_reconnect_replaces_the_tokens_and_disconnect_removes_them(world: World) -> None:
    world.login()
    world.connect("xero", "xero", world.xero)
    first = _tokens(world.app, "xero")
    page = world.browser.post("/connections/xero/reconnect", data={"csrf_token": world.csrf()})
    assert "xero is connected." in page.text
    second = _tokens(world.app, "xero")
    assert second.refresh_token != first.refresh_token
    gone = world.browser.post("/connections/xero/disconnect", data={"csrf_token": world.csrf()})
    assert "xero is disconnected" in gone.text
    secrets, _ = world.app.store.connections.secrets("xero")
    assert "tokens" not in secrets
    assert secrets["client_secret"] == "sandbox-xero-secret"  # kept for reconnecting
    row = world.app.store.connections.get("xero")
    assert row.settings["tenant_id"] == world.xero_state.tenant_id
    assert "not connected" in world.browser.get("/connections").text


def test_delete_a_connection_after_confirming(world: World) -> None:
    world.login()
    world.connect("crm", "zoho_crm", world.crm)
    confirm = world.browser.get("/connections/crm/delete")
    assert "Delete connection crm?" in confirm.text
    page = world.browser.post("/connections/crm/delete", data={"csrf_token": csrf_of(confirm.text)})
    assert "Connection crm is deleted." in page.text
    assert world.app.store.connections.list() == []


def test_other_users_cannot_see_or_touch_a_connection(world: World) -> None:
    world.login()
    world.connect("crm", "zoho_crm", world.crm)
    other = httpx.Client(base_url=world.portal, follow_redirects=True, timeout=30)
    try:
        world.login(OTHER_EMAIL, other)
        assert 'id="connection-crm"' not in other.get("/connections").text
        token = csrf_of(other.get("/connections").text)
        for path in ("/connections/crm/disconnect", "/connections/crm/delete"):
            assert other.post(path, data={"csrf_token": token}).status_code == 404
        assert other.get("/connections/crm/choose").status_code == 404
    finally:
        other.close()
    assert "tokens" in world.app.store.connections.secrets("crm")[0]


def test_form_errors_are_shown_and_nothing_is_stored(world: World) -> None:
    world.login()
    bad_name = world.connect("Bad Name!", "xero", world.xero)
    assert bad_name.status_code == 422
    assert "a connection name is 1 to 63 lowercase letters" in bad_name.text
    bad_url = world.connect("xero", "xero", "not a url")
    assert bad_url.status_code == 422
    assert "is not a base URL" in bad_url.text
    real_without_secret = world.browser.post(
        "/connections",
        data={
            "name": "xero",
            "system": "xero",
            "server": "real",
            "client_id": "abc",
            "csrf_token": world.csrf("/connections/new"),
        },
    )
    assert real_without_secret.status_code == 422
    assert "client secret is needed" in real_without_secret.text
    assert world.app.store.connections.list() == []


def test_real_servers_get_the_vendors_authorize_urls(world: World) -> None:
    world.login()
    world.browser.follow_redirects = False
    try:
        for system, host in (
            ("xero", "https://login.xero.com/identity/connect/authorize?"),
            ("zoho_crm", "https://accounts.zoho.eu/oauth/v2/auth?"),
        ):
            answer = world.browser.post(
                "/connections",
                data={
                    "name": f"real-{system.replace('_', '-')}",
                    "system": system,
                    "server": "real",
                    "data_centre": "eu",
                    "client_id": "my-app",
                    "client_secret": "my-secret",
                    "csrf_token": world.csrf("/connections/new"),
                },
            )
            assert answer.status_code == 303
            location = answer.headers["location"]
            assert location.startswith(host)
            assert "client_id=my-app" in location
            assert "redirect_uri=http%3A%2F%2F127.0.0.1" in location
    finally:
        world.browser.follow_redirects = True
