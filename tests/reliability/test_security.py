"""Secrets stay secret through a whole sync, and nothing unauthenticated gets in.

A real sync over HTTP against the Zoho CRM and Xero emulators, with every access token expired
halfway so both connections refresh (and Xero rotates its refresh token): afterwards no token
or client secret ever issued is readable in the database (the SQLite file's bytes, WAL
included; every PostgreSQL row as text), in the logs captured at DEBUG, or in the run report.
Forged, tampered, truncated and replayed webhooks, and a button URL with a wrong or borrowed
key, are refused over HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from ledgerbridge.bootstrap import App
from ledgerbridge.connectors.http.tokens import TokenSet
from ledgerbridge.engine.model import SyncRequest
from ledgerbridge.sandbox import xero, zoho_crm
from ledgerbridge.sandbox.core.oauth import OAuthServer
from ledgerbridge.store import make_engine
from ledgerbridge.web.button import button_url
from ledgerbridge.web.credentials import WEBHOOK_KEY, set_connection_secret
from tests.integration.web.live import (
    Emulators,
    accounts_config,
    application,
    connect,
    emulators,
    web,
)
from tests.support.dispatch import RecordingDispatcher

# A recognisable setting that is not secret, to prove the database reads below see the rows.
MARKER = "visible-marker-4711"


def issued(oauth: OAuthServer) -> set[str]:
    """Every access and refresh token the emulator's OAuth server ever minted."""
    return set(oauth._access) | set(oauth._refresh)


def database_text(app: App, db_url: str) -> str:
    """Everything the database holds, as the bytes on disk (SQLite) or every row (PostgreSQL)."""
    if db_url.startswith("sqlite"):
        app.store.close()
        main = Path(str(sa.make_url(db_url).database))
        files = [main, *main.parent.glob(main.name + "-*")]
        return "".join(path.read_bytes().decode("latin-1") for path in files if path.exists())
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            parts = [
                repr(row)
                for table in tables
                for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')).all()
            ]
    finally:
        engine.dispose()
    return "\n".join(parts)


@pytest.fixture
def synced(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> Iterator[tuple[App, Emulators, set[str], str]]:
    caplog.set_level(logging.DEBUG)
    with emulators(limits=False) as emu:
        app = application(tmp_path, db_url)
        try:
            connect(app, emu)
            # tokens that can be refreshed, as an authorised CRM connection holds
            pair = emu.crm_oauth.issue_for_tests(scope="ZohoCRM.modules.ALL offline_access")
            held, version = app.store.connections.secrets("crm")
            tokens = TokenSet(
                pair.access_token,
                pair.refresh_token,
                emu.crm.clock.now() + timedelta(seconds=pair.expires_in),
                {"api_domain": emu.crm_server.url},
            ).to_secrets()
            app.store.connections.replace_secrets(
                "crm", {**held, "tokens": tokens}, expected_version=version
            )
            crm_settings = dict(app.store.connections.get("crm").settings)
            app.store.connections.update_settings("crm", {**crm_settings, "note": MARKER})
            row = app.store.integrations.create(accounts_config())
            button_key = app.store.integrations.button_secret(row.name)
            for n in range(30):
                emu.crm.create(
                    "Accounts", {"Account_Name": f"Secure {n}", "Account_Number": f"S{n}"}
                )
            emu.xero.add_contact(Name="From Xero", AccountNumber="X1")
            systems = app.systems(row)
            first = app.engine.run(row, systems, SyncRequest())
            assert first.error is None
            # both connections must refresh mid-life; Xero's refresh also rotates
            emu.crm_oauth.expire_all_access_tokens()
            emu.xero_oauth.expire_all_access_tokens()
            for n in range(5):
                emu.crm.create("Accounts", {"Account_Name": f"After {n}"})
            second = app.engine.run(row, systems, SyncRequest())
            assert second.error is None
            secrets = issued(emu.crm_oauth) | issued(emu.xero_oauth)
            secrets |= {zoho_crm.CLIENT_SECRET, xero.CLIENT_SECRET, emu.xero.webhook_key}
            secrets.add(button_key)
            report_text = repr(first) + repr(second)
            yield app, emu, secrets, report_text
        finally:
            app.close()


def test_no_secret_is_readable_at_rest_in_the_logs_or_in_run_reports(
    synced: tuple[App, Emulators, set[str], str],
    db_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, _emu, secrets, report_text = synced
    assert len(secrets) >= 8, "the sync should have refreshed both connections' tokens"
    logged = "\n".join(
        f"{r.getMessage()} {r.args!r} {r.exc_text or ''}"
        for r in caplog.get_records("setup") + caplog.records
    )
    assert logged, "nothing was logged: the check below would prove nothing"
    stored = database_text(app, db_url)
    assert MARKER in stored, "the database read does not see the rows"
    for secret in secrets:
        assert secret not in stored, "a secret is readable in the database"
        assert secret not in logged, "a secret reached the logs"
        assert secret not in report_text, "a secret reached a run report"


# -- webhooks and the button URL, over HTTP ------------------------------------------------------

XERO_PATH = "/webhooks/xero/{}"


def sign(body: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def xero_batch(tenant: str, contact_id: str, sequence: int) -> bytes:
    event = {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/Contacts/{contact_id}",
        "resourceId": contact_id,
        "eventDateUtc": "2026-05-01T09:00:00.000",
        "eventType": "UPDATE",
        "eventCategory": "CONTACT",
        "tenantId": tenant,
        "tenantType": "ORGANISATION",
    }
    return json.dumps(
        {
            "events": [event],
            "firstEventSequence": sequence,
            "lastEventSequence": sequence,
            "entropy": "QWERTYUIOP",
        }
    ).encode()


@pytest.fixture
def two_sites(
    db_url: str, tmp_path: Path
) -> Iterator[tuple[App, RecordingDispatcher, httpx.Client]]:
    """Integrations ``alpha`` and ``beta``, each on its own Xero connection and webhook key."""
    app = application(tmp_path, db_url, coalesce=0.0)
    try:
        app.store.connections.add("crm", "zoho_crm", {"client_id": "x"}, {})
        for name, tenant in (("alpha", "tenant-a"), ("beta", "tenant-b")):
            app.store.connections.add(
                f"xero-{name}", "xero", {"client_id": "x", "tenant_id": tenant}, {}
            )
            set_connection_secret(
                app.store, f"xero-{name}", WEBHOOK_KEY, f"key-of-{name}-" + "k" * 40
            )
            config = accounts_config(name).model_copy(update={"books_connection": f"xero-{name}"})
            app.store.integrations.create(config)
        dispatcher = RecordingDispatcher()
        with web(app, dispatcher) as served, httpx.Client(base_url=served.url) as http:
            yield app, dispatcher, http
    finally:
        app.close()


def test_a_webhook_signed_for_one_integration_opens_no_other(
    two_sites: tuple[App, RecordingDispatcher, httpx.Client],
) -> None:
    app, dispatcher, http = two_sites
    body = xero_batch("tenant-a", "0a8c0b5e-0000-4000-8000-000000000001", 7)
    alpha_signature = sign(body, "key-of-alpha-" + "k" * 40)
    # alpha's own signature is good on alpha's URL only
    assert (
        http.post(
            XERO_PATH.format("beta"), content=body, headers={"x-xero-signature": alpha_signature}
        ).status_code
        == 401
    )
    # the signature of the full body does not cover a truncated one, nor one with a byte added
    for content in (body[:-10], body + b" ", body[: len(body) // 2]):
        answer = http.post(
            XERO_PATH.format("alpha"),
            content=content,
            headers={"x-xero-signature": alpha_signature},
        )
        assert (answer.status_code, answer.content) == (401, b"")
    assert dispatcher.records == []
    # broken JSON that is correctly signed is a clear 400, never a 500, and queues nothing
    broken = body[: len(body) // 2]
    answer = http.post(
        XERO_PATH.format("alpha"),
        content=broken,
        headers={"x-xero-signature": sign(broken, "key-of-alpha-" + "k" * 40)},
    )
    assert answer.status_code == 400
    assert dispatcher.records == []
    good = http.post(
        XERO_PATH.format("alpha"), content=body, headers={"x-xero-signature": alpha_signature}
    )
    assert good.status_code == 200
    # replayed later: accepted as delivered, queued only once
    assert (
        http.post(
            XERO_PATH.format("alpha"), content=body, headers={"x-xero-signature": alpha_signature}
        ).status_code
        == 200
    )
    assert len(dispatcher.records) == 1
    assert dispatcher.records[0][0] == app.store.integrations.get("alpha").id


def test_the_button_url_opens_with_its_own_integrations_current_key_only(
    two_sites: tuple[App, RecordingDispatcher, httpx.Client],
) -> None:
    app, dispatcher, http = two_sites
    alpha_key = app.store.integrations.button_secret("alpha")
    beta_key = app.store.integrations.button_secret("beta")
    assert alpha_key != beta_key

    def path(integration: str, key: str) -> str:
        url = button_url("http://x", integration, "accounts", "Accounts", key)
        return (
            url.removeprefix("http://x")
            .replace("${Accounts.Account Id}", "123")
            .replace("%24%7BAccounts.Account%20Id%7D", "123")
        )

    for integration, key in (
        ("beta", alpha_key),
        ("alpha", beta_key),
        ("alpha", ""),
        ("alpha", alpha_key[:-1]),
        ("alpha", alpha_key.upper() if alpha_key != alpha_key.upper() else alpha_key.lower()),
    ):
        answer = http.get(path(integration, key))
        assert answer.status_code == 403, (integration, answer.text)
        assert alpha_key not in answer.text and beta_key not in answer.text
    assert dispatcher.records == []
    assert http.post(path("alpha", alpha_key)).status_code == 202
    rotated = app.store.integrations.rotate_button_secret("alpha")
    assert http.get(path("alpha", alpha_key)).status_code == 403
    assert http.get(path("alpha", rotated)).status_code == 202
    assert len(dispatcher.records) == 2


def test_a_zoho_notification_token_of_one_integration_opens_no_other(
    two_sites: tuple[App, RecordingDispatcher, httpx.Client],
) -> None:
    app, dispatcher, http = two_sites
    from ledgerbridge.web.credentials import channel_token

    alpha_token = channel_token(app.store, "crm", "alpha")
    body = {"module": "Accounts", "ids": ["1"], "operation": "update", "channel_id": 1}
    answer = http.post("/webhooks/zoho/beta", json={**body, "token": alpha_token})
    assert answer.status_code == 401
    for content in (
        b"",
        b"{",
        b'{"token": ',
        json.dumps({**body, "token": alpha_token}).encode()[:-5],
    ):
        assert http.post("/webhooks/zoho/alpha", content=content).status_code in (400, 401)
    assert dispatcher.records == []
    assert http.post("/webhooks/zoho/alpha", json={**body, "token": alpha_token}).status_code == 200
    assert len(dispatcher.records) == 1
