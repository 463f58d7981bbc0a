"""``serve``, ``connection set-secret`` and ``integration button-url`` as a user runs them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerbridge.bootstrap import bootstrap
from ledgerbridge.settings import Settings
from ledgerbridge.web.button import button_url
from tests.integration.web.live import accounts_config


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERBRIDGE_")}
    return kept | {
        "LEDGERBRIDGE_DATA_DIR": str(tmp_path / "data"),
        "LEDGERBRIDGE_PUBLIC_URL": "https://sync.example.com/",
        "COLUMNS": "200",
    }


def cli(
    tmp_path: Path, env: dict[str, str], *args: str, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "ledgerbridge", *args],
        capture_output=True,
        text=True,
        env=env | (extra or {}),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def configured(tmp_path: Path, env: dict[str, str]) -> Path:
    """The data directory the commands use, set up in-process (a process start is slow)."""
    app = bootstrap(Settings(data_dir=Path(env["LEDGERBRIDGE_DATA_DIR"]), database_url=None))
    try:
        app.store.connections.add("crm", "memory", {}, {})
        app.store.connections.add("xero", "xero", {"client_id": "c"}, {})
        app.store.integrations.create(accounts_config())
    finally:
        app.close()
    return tmp_path


def stored(env: dict[str, str]) -> tuple[dict[str, Any], str]:
    """The Xero connection's secrets and the integration's button secret."""
    app = bootstrap(Settings(data_dir=Path(env["LEDGERBRIDGE_DATA_DIR"]), database_url=None))
    try:
        return app.store.connections.secrets("xero")[0], app.store.integrations.button_secret(
            "live"
        )
    finally:
        app.close()


def test_set_secret_never_echoes_and_button_url_prints_the_crm_merge_field(
    configured: Path, env: dict[str, str]
) -> None:
    value = "s3cret-webhook-key"
    done = cli(
        configured,
        env,
        "connection",
        "set-secret",
        "xero",
        "webhook_key",
        extra={"LEDGERBRIDGE_SECRET_VALUE": value},
    )
    assert value not in done.stdout + done.stderr
    lines = cli(configured, env, "integration", "button-url", "live").stdout.splitlines()
    secrets, button = stored(env)
    assert secrets["webhook_key"] == value
    assert lines == [
        "accounts (Accounts button):",
        f"https://sync.example.com/sync/live/accounts/${{Accounts.Account Id}}?key={button}",
    ]
    rotated = cli(
        configured, env, "integration", "button-url", "live", "-f", "accounts", "--rotate"
    )
    _, fresh = stored(env)
    assert fresh != button
    assert rotated.stdout.splitlines()[1].endswith(f"?key={fresh}")


@pytest.fixture
def served(configured: Path, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ledgerbridge", "serve", "--port", str(port)],
        env=env | {"LEDGERBRIDGE_LOG_LEVEL": "WARNING"},
        cwd=configured,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def test_serve_answers_health_and_the_button_then_stops_on_ctrl_c(
    served: tuple[subprocess.Popen[str], str], configured: Path, env: dict[str, str]
) -> None:
    proc, url = served
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert proc.poll() is None, f"serve exited early:\n{proc.communicate()[0]}"
        assert time.monotonic() < deadline, "serve did not answer /healthz within 30 s"
        time.sleep(0.1)
    button = button_url(url, "live", "accounts", "Accounts", stored(env)[1])
    local = button.replace("${Accounts.Account Id}", "77")
    assert httpx.get(local).status_code == 202
    assert httpx.get(local.replace("key=", "key=x")).status_code == 403

    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
