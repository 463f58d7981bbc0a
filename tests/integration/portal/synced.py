"""A portal over an integration between two in-memory systems, with a real job runner.

The sync, history and mapping pages are tested through it: jobs run on the in-process runner's
threads (as in ``ledgerbridge serve``), the store is real, the systems are in-memory connectors.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from ledgerbridge.bootstrap import App
from ledgerbridge.connectors.memory import MemoryConnector, TickingClock
from ledgerbridge.domain.config import FlowConfig
from ledgerbridge.domain.records import Side
from ledgerbridge.jobs.local import LocalRunner
from ledgerbridge.store import IntegrationRow
from ledgerbridge.store.users import User
from ledgerbridge.web.app import create_app
from tests.integration.portal.conftest import (
    OTHER_EMAIL,
    PASSWORD,
    USER_EMAIL,
    csrf_of,
)
from tests.integration.web.live import application
from tests.support.flows import one_flow, people_flow

NAME = "people-sync"


@dataclass
class Synced:
    app: App
    runner: LocalRunner
    client: TestClient
    crm: MemoryConnector
    books: MemoryConnector
    owner: User

    @property
    def integration(self) -> IntegrationRow:
        return self.app.store.integrations.get(NAME)

    def login(self, email: str = USER_EMAIL, client: TestClient | None = None) -> TestClient:
        browser = client or self.client
        token = csrf_of(browser.get("/login").text)
        answer = browser.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
        )
        assert answer.status_code == 303, answer.text
        return browser

    def csrf(self, path: str) -> str:
        page = self.client.get(path)
        assert page.status_code == 200, page.text
        return csrf_of(page.text)

    def stranger(self) -> TestClient:
        """Another browser, logged in as a user who does not own the integration."""
        # Made only here: every password hash costs a noticeable part of a second.
        self.app.store.users.create(OTHER_EMAIL, PASSWORD)
        return self.login(OTHER_EMAIL, TestClient(self.client.app, follow_redirects=False))

    def person(self, name: str, email: str, level: str = "Gold") -> str:
        record = self.crm.put(
            "People", {"Full_Name": name, "Email": email, "Phone": "1", "Level": level}
        )
        return record.id

    def side(self, side: Side) -> MemoryConnector:
        return self.crm if side is Side.CRM else self.books


def make_synced(
    tmp_path: Path,
    db_url: str | None = None,
    *,
    start: bool = True,
    flow: FlowConfig | None = None,
    memory: bool = True,
    clock: TickingClock | None = None,
) -> Iterator[Synced]:
    """``memory=False`` leaves out the in-memory integration (the test brings its own)."""
    app = application(tmp_path, db_url)
    runner = LocalRunner(app, workers=1, tick=None)
    try:
        owner = app.store.users.create(USER_EMAIL, PASSWORD)
        crm, books = MemoryConnector("crm", clock=clock), MemoryConnector("books", clock=clock)
        if memory:
            for name, conn in (("crm", crm), ("books", books)):
                # No file: the connector handed in here is the one every job uses.
                app.store.connections.add(name, "memory", {"path": ""}, {})
                app.use(name, conn)
            config = one_flow(flow or people_flow(), NAME)
            app.store.integrations.create(config, owner_id=owner.id)
        web = create_app(app, runner)
        if start:
            runner.start()
        with TestClient(web, follow_redirects=False) as client:
            yield Synced(app, runner, client, crm, books, owner)
    finally:
        runner.stop(10.0)
        app.close()
