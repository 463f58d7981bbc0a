"""Zoho CRM notifications from the CRM emulator: channel registration and renewal, tokens,
records dispatched, deletes reported."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ledgerbridge.bootstrap import App
from ledgerbridge.domain.records import Side
from ledgerbridge.jobs.dispatch import RecordChange
from ledgerbridge.web.channels import SETTINGS_KEY, ChannelKeeper
from ledgerbridge.web.credentials import CHANNEL_TOKENS
from tests.integration.web.live import (
    Emulators,
    Web,
    accounts_config,
    application,
    connect,
    emulators,
    web,
)
from tests.support.dispatch import RecordingDispatcher

PATH = "/webhooks/zoho/live"


@dataclass
class Crm:
    app: App
    emu: Emulators
    site: Web
    dispatcher: RecordingDispatcher
    keeper: ChannelKeeper
    http: httpx.Client


@pytest.fixture
def crm(tmp_path: Path) -> Iterator[Crm]:
    with emulators() as emu:
        app = application(tmp_path, coalesce=0.0)
        try:
            connect(app, emu)
            app.store.integrations.create(accounts_config())
            dispatcher = RecordingDispatcher()
            with web(app, dispatcher) as site, httpx.Client(base_url=site.url) as http:
                yield Crm(app, emu, site, dispatcher, ChannelKeeper(app, site.url), http)
        finally:
            app.close()


def register(crm: Crm) -> None:
    status = crm.keeper.ensure(crm.app.store.integrations.get("live"))
    assert status.action == "registered", status


def test_a_channel_is_registered_with_a_secret_token(crm: Crm) -> None:
    register(crm)
    [channel] = crm.emu.crm.channels
    assert channel.notify_url == f"{crm.site.url}{PATH}"
    assert channel.events == ["Accounts.all"]
    assert channel.expiry - datetime.now(UTC) > timedelta(days=6)
    stored = crm.app.store.integrations.settings("live")[SETTINGS_KEY]
    assert stored["channel_id"] == str(channel.channel_id)
    assert "token" not in json.dumps(stored)  # the token lives with the encrypted secrets
    tokens = crm.app.store.connections.secrets("crm")[0][CHANNEL_TOKENS]
    assert tokens["live"] == channel.token


def test_created_and_edited_accounts_are_dispatched(crm: Crm) -> None:
    register(crm)
    account = crm.emu.crm.create("Accounts", {"Account_Name": "Notified"})
    assert crm.emu.crm.flush_notifications()
    crm.emu.crm.edit("Accounts", account["id"], {"Account_Number": "N-1"})
    assert crm.emu.crm.flush_notifications()
    assert all(s.status == 200 for s in crm.emu.crm.sender.sent)
    assert crm.dispatcher.changes() == [RecordChange("accounts", Side.CRM, account["id"])] * 2


def test_a_wrong_or_missing_token_is_refused(crm: Crm) -> None:
    register(crm)
    body = {"module": "Accounts", "ids": ["1"], "operation": "update", "channel_id": 1}
    for token in ("wrong", None, ""):
        answer = crm.http.post(PATH, json={**body, "token": token})
        assert answer.status_code == 401
    assert crm.http.post(PATH, content=b"not json").status_code == 401
    assert crm.dispatcher.records == []


def test_deletes_are_reported_and_replays_ignored(crm: Crm) -> None:
    register(crm)
    account = crm.emu.crm.create("Accounts", {"Account_Name": "Short Lived"})
    assert crm.emu.crm.flush_notifications()
    crm.emu.crm.delete("Accounts", account["id"])
    assert crm.emu.crm.flush_notifications()
    deleted = crm.emu.crm.sender.sent[-1]
    assert json.loads(deleted.response_body)["deleted_not_propagated"] == [account["id"]]
    assert crm.dispatcher.changes() == [RecordChange("accounts", Side.CRM, account["id"])]

    created = crm.emu.crm.sender.sent[0]
    again = crm.http.post(PATH, content=created.body, headers=created.headers)
    assert again.json() == {"queued": 0, "replayed": True}
    assert len(crm.dispatcher.records) == 1


def test_channels_are_kept_then_renewed_near_expiry_or_when_flows_change(crm: Crm) -> None:
    integrations = crm.app.store.integrations
    register(crm)
    assert crm.keeper.ensure(integrations.get("live")).action == "kept"

    settings = integrations.settings("live")
    soon = datetime.now(UTC) + timedelta(hours=3)
    settings[SETTINGS_KEY]["expiry"] = soon.isoformat()
    integrations.update_settings("live", settings)
    renewed = crm.keeper.ensure(integrations.get("live"))
    assert renewed.action == "renewed"
    [channel] = crm.emu.crm.channels
    assert channel.expiry - soon > timedelta(days=6)

    config = accounts_config()
    contacts = config.flows[0].model_copy(
        update={"name": "contacts", "crm_module": "Contacts", "match_keys": ()}
    )
    integrations.replace(config.model_copy(update={"flows": (*config.flows, contacts)}))
    assert crm.keeper.ensure(integrations.get("live")).action == "renewed"
    [channel] = crm.emu.crm.channels
    assert sorted(channel.events) == ["Accounts.all", "Contacts.all"]

    crm.emu.crm.notifier.remove(channel.channel_id)  # Zoho forgot it: registered afresh
    settings = integrations.settings("live")
    settings[SETTINGS_KEY]["expiry"] = soon.isoformat()
    integrations.update_settings("live", settings)
    assert crm.keeper.ensure(integrations.get("live")).action == "registered"
    assert len(crm.emu.crm.channels) == 1


def test_integrations_without_crm_flows_or_paused_are_skipped(crm: Crm) -> None:
    integrations = crm.app.store.integrations
    integrations.set_state("live", "paused")
    assert crm.keeper.ensure(integrations.get("live")).action == "skipped"
    assert crm.emu.crm.channels == []
