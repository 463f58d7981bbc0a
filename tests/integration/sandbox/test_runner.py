"""The sandbox runner: free ports, all three emulators served, data reuse, clean stops."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from ledgerbridge.sandbox.cli import app as cli_app
from ledgerbridge.sandbox.core.faults import FaultConfig
from ledgerbridge.sandbox.runner import RunningSandbox, start_sandbox
from ledgerbridge.sandbox.zoho_books import SCOPE


def _start(**options: Any) -> RunningSandbox:
    """Start on free ports."""
    return start_sandbox(crm_port=0, xero_port=0, books_port=0, **options)


@pytest.fixture
def running() -> Iterator[RunningSandbox]:
    lines: list[str] = []
    sandbox = _start(seed=2, echo=lines.append)
    yield sandbox
    sandbox.stop()


def _books_contacts(sandbox: RunningSandbox) -> httpx.Response:
    token = sandbox.books_state.oauth.issue_for_tests(scope=SCOPE).access_token
    return httpx.get(
        f"{sandbox.urls['zoho_books']}/books/v3/contacts",
        params={"organization_id": sandbox.books_state.default_organization_id},
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
    )


def test_serves_all_three_emulators_on_free_ports(running: RunningSandbox) -> None:
    urls = running.urls
    assert len({urls["zoho_crm"], urls["xero"], urls["zoho_books"]}) == 3
    assert running.seeded
    crm_token = running.apps["zoho_crm"].state.oauth.issue_for_tests(
        scope="ZohoCRM.modules.ALL ZohoCRM.settings.ALL ZohoCRM.org.ALL"
    )
    accounts = httpx.get(
        f"{urls['zoho_crm']}/crm/v8/Accounts",
        params={"fields": "Account_Name"},
        headers={"Authorization": f"Zoho-oauthtoken {crm_token.access_token}"},
    )
    assert accounts.status_code == 200, accounts.text
    assert accounts.json()["data"]
    xero_token = running.apps["xero"].state.oauth.issue_for_tests(
        scope="accounting.contacts accounting.settings accounting.transactions"
    )
    contacts = httpx.get(
        f"{urls['xero']}/api.xro/2.0/Contacts",
        headers={
            "Authorization": f"Bearer {xero_token.access_token}",
            "xero-tenant-id": running.xero_state.tenant_id,
            "Accept": "application/json",
        },
    )
    assert contacts.status_code == 200, contacts.text
    assert contacts.json()["Contacts"]
    books = _books_contacts(running)
    assert books.status_code == 200
    assert books.json()["contacts"]
    for url in urls.values():
        assert httpx.get(f"{url}/_sandbox/ledger").status_code == 200
    banner = "\n".join(running.banner())
    for url in urls.values():
        assert url in banner
    assert "sandbox-zoho-books-client" in banner


def test_stop_closes_the_ports(running: RunningSandbox) -> None:
    url = running.urls["zoho_books"]
    running.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_sandbox/ledger", timeout=2)


def test_faults_and_limits_reach_the_emulators() -> None:
    sandbox = _start(faults=FaultConfig(error_5xx_rate=1.0), limits=False, echo=lambda _: None)
    try:
        assert _books_contacts(sandbox).status_code == 500
        assert sandbox.apps["zoho_books"].state.limiter.enabled is False
    finally:
        sandbox.stop()


def test_a_data_directory_is_seeded_once_and_reused(tmp_path: Path) -> None:
    lines: list[str] = []
    first = _start(seed=5, data=tmp_path, echo=lines.append)
    org = first.books_state.default_organization_id
    first.books_state.create_contact(org, {"contact_name": "Added By Hand"})
    count = first.books_state.count(org, "contacts")
    first.stop()
    assert (tmp_path / "seed.json").exists()

    second = _start(seed=9, data=tmp_path, echo=lines.append)
    try:
        assert not second.seeded
        assert second.books_state.count(org, "contacts") == count
        found = second.books_state.list_records(org, "contacts").records
        assert "Added By Hand" in {c["contact_name"] for c in found}
        assert second.crm_state.count("Accounts") > 0
        assert second.xero_state.count("contacts") > 0
        assert any("reusing data seeded with seed 5" in line for line in lines)
        assert "reused from the data directory" in second.banner()[0]
    finally:
        second.stop()


def test_a_half_seeded_directory_is_cleared_and_seeded_again(tmp_path: Path) -> None:
    (tmp_path / "zoho_books.sqlite3").write_bytes(b"not a database")
    lines: list[str] = []
    sandbox = _start(data=tmp_path, echo=lines.append)
    try:
        assert sandbox.seeded
        assert any("removing incomplete sandbox data" in line for line in lines)
    finally:
        sandbox.stop()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_cli_process_serves_until_signalled(tmp_path: Path, signum: signal.Signals) -> None:
    command = [
        sys.executable,
        "-m",
        "ledgerbridge.sandbox.cli",
        "--crm-port",
        "0",
        "--xero-port",
        "0",
        "--books-port",
        "0",
        "--data",
        str(tmp_path / "data"),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if "Press Ctrl-C" in line:
            break
    text = "".join(output)
    books = re.search(r"Zoho Books (http://127\.0\.0\.1:\d+)/books/v3", text)
    assert books is not None, text
    assert httpx.get(f"{books.group(1)}/_sandbox/ledger").status_code == 200
    process.send_signal(signum)
    rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0, text + rest
    assert "sandbox stopped" in rest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--error-rate", "1.5"], "--error-rate must be between 0 and 1"),
        (["--drop-rate", "-0.1"], "--drop-rate must be between 0 and 1"),
        (["--size", "huge"], "--size must be one of small, medium, large"),
        (["--crm-port", "70000"], "--crm-port must be between 0 and 65535"),
        (["--token-ttl", "0"], "--token-ttl must be at least 1 second"),
    ],
)
def test_cli_options_are_validated_with_clear_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
