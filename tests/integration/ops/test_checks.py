"""``ledgerbridge check`` against real databases and the served Zoho CRM and Xero emulators."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledgerbridge.bootstrap import App
from ledgerbridge.checks import (
    check_connections,
    check_database,
    database_problems,
    run_checks,
)
from ledgerbridge.settings import Settings
from ledgerbridge.store import make_engine
from ledgerbridge.store.migrate import packaged_head
from ledgerbridge.web.credentials import set_connection_secret
from tests.integration.web.live import Emulators, application, connect, emulators


@pytest.fixture
def emu() -> Iterator[Emulators]:
    with emulators() as served:
        yield served


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> Iterator[App]:
    application_ = application(tmp_path, db_url)
    try:
        yield application_
    finally:
        application_.close()


def by_name(results: list) -> dict[str, object]:  # type: ignore[type-arg]
    return {r.name: r for r in results}


def test_connections_answer_with_their_organisation(app: App, emu: Emulators) -> None:
    connect(app, emu)
    results = by_name(check_connections(app))
    crm, xero = results["connection crm (zoho_crm)"], results["connection xero (xero)"]
    assert crm.ok, crm.line()  # type: ignore[attr-defined]
    assert xero.ok, xero.line()  # type: ignore[attr-defined]
    assert "answered" in xero.detail  # type: ignore[attr-defined]


def test_refused_and_missing_tokens_fail_with_what_to_do(app: App, emu: Emulators) -> None:
    connect(app, emu)
    set_connection_secret(
        app.store,
        "xero",
        "tokens",
        {"access_token": "revoked", "refresh_token": "revoked", "expires_at": None},
    )
    app.store.connections.add("books", "zoho_books", {"organization_id": "1"}, {})
    results = by_name(check_connections(app))
    xero = results["connection xero (xero)"]
    assert not xero.ok  # type: ignore[attr-defined]
    assert "credentials refused" in xero.line()  # type: ignore[attr-defined]
    assert "authorise xero again" in xero.line()  # type: ignore[attr-defined]
    books = results["connection books (zoho_books)"]
    assert not books.ok  # type: ignore[attr-defined]
    assert "no OAuth tokens" in books.line()  # type: ignore[attr-defined]
    assert results["connection crm (zoho_crm)"].ok  # type: ignore[attr-defined]


def test_an_unreachable_server_is_a_failed_connection(app: App, emu: Emulators) -> None:
    connect(app, emu)
    emu.crm_server.stop()
    result = by_name(check_connections(app))["connection crm (zoho_crm)"]
    assert not result.ok  # type: ignore[attr-defined]
    assert "the network" in result.line()  # type: ignore[attr-defined]


def test_database_current_behind_and_unreachable(db_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url)
    engine = make_engine(db_url)
    try:
        assert "schema missing" in database_problems(engine)[0]
        from ledgerbridge.store.migrate import upgrade

        upgrade(engine)
        assert database_problems(engine) == []
        assert check_database(settings).ok
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
        result = check_database(settings)
        assert not result.ok
        assert f"at revision 0001, this version needs {packaged_head()}" in result.detail
        assert "`ledgerbridge db upgrade`" in result.detail
    finally:
        engine.dispose()
    nowhere = Settings(
        data_dir=tmp_path / "data",
        database_url="postgresql+psycopg://ledger:pw@127.0.0.1:1/ledger",
    )
    result = check_database(nowhere)
    assert not result.ok
    assert "database unreachable" in result.detail
    assert "LEDGERBRIDGE_DATABASE_URL" in result.fix
    assert ":pw@" not in result.line()


def _cli(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERBRIDGE_")}
    secrets = tmp_path / "secrets"
    secrets.mkdir(exist_ok=True)
    base |= {
        "LEDGERBRIDGE_DATA_DIR": str(tmp_path / "data"),
        "LEDGERBRIDGE_SECRETS_DIR": str(secrets),
        "NO_COLOR": "1",
        "COLUMNS": "250",
    }
    return subprocess.run(
        [sys.executable, "-m", "ledgerbridge", "check"],
        env=base | env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_prints_one_line_per_check_and_exits_by_the_result(
    tmp_path: Path, emu: Emulators
) -> None:
    missing = _cli(tmp_path)
    assert missing.returncode == 1, missing.stderr
    assert "FAIL database: no database file" in missing.stdout
    assert "run `ledgerbridge db upgrade`" in missing.stdout
    assert "FAIL connections: not checked: fix the database first" in missing.stdout

    app = application(tmp_path)  # migrates, and makes the development key
    try:
        connect(app, emu)
    finally:
        app.close()
    good = _cli(tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr
    lines = good.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "OK   settings",
        "OK   secret key",
        "OK   session secret",
        "OK   public url",
        "OK   smtp",
        "OK   database",
        "OK   stored secrets",
        "OK   connection crm (zoho_crm)",
        "OK   connection xero (xero)",
    ]


def test_bad_settings_stop_the_checks_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("LEDGERBRIDGE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secrets").mkdir()
    monkeypatch.setenv("LEDGERBRIDGE_SECRETS_DIR", str(tmp_path / "secrets"))
    monkeypatch.setenv("LEDGERBRIDGE_ENVIRONMENT", "production")
    monkeypatch.setenv("LEDGERBRIDGE_SESSION_SECRET", "dev")
    report = run_checks()
    assert not report.ok
    assert list(report.lines()) == [
        "FAIL settings: bad settings: LEDGERBRIDGE_SESSION_SECRET is a placeholder; generate "
        'one with: python -c "import secrets; print(secrets.token_urlsafe(48))"',
        "FAIL connections: not checked: fix the settings first",
    ]
    monkeypatch.setenv("LEDGERBRIDGE_SESSION_SECRET", "s" * 40)
    # Production never makes a key up: without one the key check fails and says how to make one.
    lines = list(run_checks().lines())
    assert lines[0].startswith("OK   settings: production")
    assert lines[1].startswith("FAIL secret key: no secret key to encrypt connection tokens")
    assert "Fernet.generate_key()" in lines[1]
    monkeypatch.setenv("LEDGERBRIDGE_PUBLIC_URL", "http://sync.example.com")
    public = next(line for line in run_checks().lines() if "public url" in line)
    assert public.startswith("FAIL public url: http://sync.example.com is not https")
    assert "TLS-terminating proxy" in public
