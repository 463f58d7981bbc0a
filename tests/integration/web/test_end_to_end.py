"""A change made in one emulator reaches the other through webhooks and the in-process runner,
within seconds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ledgerbridge.bootstrap import App
from ledgerbridge.jobs.local import LocalRunner
from tests.integration.web.live import (
    Emulators,
    accounts_config,
    application,
    connect,
    emulators,
    hook_up,
    web,
)


def wait_for(what: str, found: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout} s")


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[App, Emulators]]:
    with emulators() as emu:
        app = application(tmp_path)
        try:
            connect(app, emu)
            app.store.integrations.create(accounts_config())
            runner = LocalRunner(app, workers=1, tick=None)
            runner.start()
            try:
                with web(app, runner) as site:
                    hook_up(site, emu)
                    yield app, emu
            finally:
                assert runner.stop(timeout=30), "the job runner did not stop"
        finally:
            app.close()


def xero_contact(emu: Emulators, name: str) -> dict[str, Any] | None:
    for contact in emu.xero.query("contacts").records:
        if contact.get("Name") == name:
            return contact
    return None


def test_a_crm_change_reaches_xero_and_a_xero_change_reaches_the_crm(
    running: tuple[App, Emulators],
) -> None:
    app, emu = running
    account = emu.crm.create("Accounts", {"Account_Name": "Webhook Works", "Account_Number": "A1"})
    contact = wait_for("the new account reaching Xero", lambda: xero_contact(emu, "Webhook Works"))
    assert contact["AccountNumber"] == "A1"

    emu.crm.edit("Accounts", account["id"], {"Account_Number": "A2"})
    wait_for(
        "the edited account number reaching Xero",
        lambda: (xero_contact(emu, "Webhook Works") or {}).get("AccountNumber") == "A2",
    )

    emu.xero.edit_contact(contact["ContactID"], AccountNumber="X3")
    wait_for(
        "the Xero edit reaching the CRM",
        lambda: (emu.crm.get("Accounts", account["id"]) or {}).get("Account_Number") == "X3",
    )
    integration = app.store.integrations.get("live")
    assert len(list(app.store.bindings.iter_all(integration.id, "accounts"))) == 1
