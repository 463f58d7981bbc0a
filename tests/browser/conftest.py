"""Browser tests: the portal served for real, the sandbox served for real, chromium driving it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from ledgerbridge.bootstrap import App, bootstrap
from ledgerbridge.jobs.local import LocalRunner
from ledgerbridge.sandbox.core.transport import ServedApp, serve_in_thread
from ledgerbridge.sandbox.runner import RunningSandbox, start_sandbox
from ledgerbridge.settings import Settings
from ledgerbridge.web.app import create_app
from tests.browser.chromium import CHROMIUM_ARGS, artifacts_dir, chromium_path

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "a long portal password"


@dataclass
class Site:
    """ledgerbridge served on loopback with job threads, beside a served sandbox."""

    app: App
    server: ServedApp
    sandbox: RunningSandbox

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    # The smallest seed: a handful of records per module, so a full sync takes seconds.
    running = start_sandbox(count=1, crm_port=0, xero_port=0, books_port=0, echo=lambda _: None)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def site(tmp_path: Path, sandbox: RunningSandbox) -> Iterator[Site]:
    app = bootstrap(Settings(data_dir=tmp_path / "data", webhook_coalesce_seconds=0.0))
    app.store.users.create(ADMIN_EMAIL, ADMIN_PASSWORD, admin=True)
    runner = LocalRunner(app, tick=timedelta(seconds=1))
    server = serve_in_thread(create_app(app, runner))
    runner.start()
    try:
        yield Site(app, server, sandbox)
    finally:
        server.stop()
        runner.stop(10.0)
        app.close()


# Per test, not per session: while Playwright's sync API is open it runs an event loop on this
# thread, and any other test on the same worker that calls asyncio.run() would fail.
@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


@dataclass
class Shots:
    """Full-page screenshots under ``test-artifacts/screenshots/<prefix>-<name>.png``."""

    prefix: str
    folder: Path

    def take(self, page: Page, name: str, *, full_page: bool = True) -> Path:
        path = self.folder / f"{self.prefix}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name.removeprefix("test_")[:40], artifacts_dir())
