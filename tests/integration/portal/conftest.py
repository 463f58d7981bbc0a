"""Portal tests: the web app in process (TestClient) over a real store, with users to log in."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from ledgerbridge.bootstrap import App
from ledgerbridge.store.tables import users, utcnow
from ledgerbridge.store.users import User
from ledgerbridge.web.app import create_app
from tests.integration.web.live import application
from tests.support.dispatch import RecordingDispatcher

ADMIN_EMAIL = "admin@example.com"
USER_EMAIL = "alice@example.com"
OTHER_EMAIL = "bob@example.com"
PASSWORD = "correct horse battery"

_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page carries in its <meta> tag."""
    found = _CSRF.search(html)
    assert found is not None, "the page has no csrf-token meta tag"
    return found.group(1)


@dataclass
class Portal:
    app: App
    dispatcher: RecordingDispatcher
    client: TestClient
    admin: User
    user: User
    other: User

    def new_client(self) -> TestClient:
        """Another browser: its own cookies."""
        return TestClient(self.client.app, follow_redirects=False)

    def csrf(self, client: TestClient | None = None, path: str = "/login") -> str:
        page = (client or self.client).get(path)
        assert page.status_code == 200, page.text
        return csrf_of(page.text)

    def login(self, email: str = USER_EMAIL, client: TestClient | None = None) -> TestClient:
        browser = client or self.client
        answer = browser.post(
            "/login",
            data={"email": email, "password": PASSWORD, "csrf_token": self.csrf(browser)},
        )
        assert answer.status_code == 303, answer.text
        return browser

    def post(
        self, path: str, data: dict[str, str] | None = None, *, page: str = "/"
    ) -> httpx.Response:
        """POST a form from a logged-in page, with that page's CSRF token."""
        answer: httpx.Response = self.client.post(
            path, data={**(data or {}), "csrf_token": self.csrf(path=page)}
        )
        return answer


@functools.cache
def _password_hash() -> str:
    return PasswordHasher().hash(PASSWORD)


def add_user(app: App, email: str, *, admin: bool = False) -> User:
    """A user whose password is ``PASSWORD``.

    The argon2id hash is made once per test process and stored as ``UsersRepository.create``
    stores it: hashing is deliberately slow, and the tests of ``create`` itself are in
    test_auth.py.
    """
    with app.store.engine.begin() as conn:
        new_id = conn.execute(
            users.insert()
            .values(
                email=email, password_hash=_password_hash(), is_admin=admin, created_at=utcnow()
            )
            .returning(users.c.id)
        ).scalar_one()
    return app.store.users.get(int(new_id))


def make_portal(tmp_path: Path, db_url: str | None = None) -> Iterator[Portal]:
    app = application(tmp_path, db_url)
    try:
        admin = add_user(app, ADMIN_EMAIL, admin=True)
        user = add_user(app, USER_EMAIL)
        other = add_user(app, OTHER_EMAIL)
        dispatcher = RecordingDispatcher()
        web = create_app(app, dispatcher)
        with TestClient(web, follow_redirects=False) as client:
            yield Portal(app, dispatcher, client, admin, user, other)
    finally:
        app.close()


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Portal]:
    """The portal on SQLite with an admin and two plain users, nobody logged in."""
    yield from make_portal(tmp_path)


def memory_connections(app: App, owner: User, crm: str = "crm", books: str = "books") -> None:
    """Two built-in in-memory systems owned by ``owner`` (nothing written to disk)."""
    app.store.connections.add(crm, "memory", {"path": ""}, {}, owner_id=owner.id)
    app.store.connections.add(books, "memory", {"path": ""}, {}, owner_id=owner.id)


def starter_integration(app: App, owner: User | None, name: str = "acme") -> None:
    """An integration from the starter recipe over ``crm`` and ``books``, owned by ``owner``."""
    from ledgerbridge.recipes import registry

    config = registry.build("starter", name=name, crm_connection="crm", books_connection="books")
    app.store.integrations.create(config, owner_id=owner.id if owner else None)
