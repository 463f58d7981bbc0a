"""Tokens in the store and through ``ledgerbridge token``: made, listed, used and revoked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledgerbridge.bootstrap import bootstrap
from ledgerbridge.cli import app as cli
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.settings import Settings
from ledgerbridge.store import Store


def test_one_active_token_per_name(store: Store) -> None:
    first = store.tokens.create("reporting")
    assert first.secret.startswith("lb_")
    assert len(first.secret) > 40
    with pytest.raises(ConfigError, match="already active"):
        store.tokens.create("reporting")
    with pytest.raises(ConfigError, match="printable"):
        store.tokens.create("")
    other = store.tokens.create("backup")
    assert other.secret != first.secret
    authenticated = store.tokens.authenticate(first.secret)
    assert authenticated is not None
    assert authenticated.name == "reporting"
    store.tokens.revoke("reporting")
    with pytest.raises(ConfigError, match="no active token"):
        store.tokens.revoke("reporting")
    assert store.tokens.authenticate(first.secret) is None
    again = store.tokens.create("reporting")
    listed = [(t.name, t.revoked) for t in store.tokens.list()]
    assert listed == [("reporting", True), ("backup", False), ("reporting", False)]
    assert store.tokens.authenticate(again.secret) is not None
    assert store.tokens.authenticate(other.secret) is not None


def _cli(data: Path, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERBRIDGE_")} | {
        "LEDGERBRIDGE_DATA_DIR": str(data),
        "COLUMNS": "200",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "ledgerbridge", "token", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=data.parent,
        timeout=120,
        check=False,
    )
    assert proc.returncode == expect, proc.stderr
    return proc


def test_token_commands_round_trip(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = _cli(data, "create", "reporting")
    secret = made.stdout.strip()
    assert secret.startswith("lb_")
    assert "not shown again" in made.stderr
    listed = _cli(data, "list").stdout
    assert "reporting" in listed
    assert "active" in listed
    assert secret not in listed

    app = bootstrap(Settings(data_dir=data))
    try:
        assert app.store.tokens.authenticate(secret) is not None
        assert "never" not in _cli(data, "list").stdout  # its use is recorded
        _cli(data, "revoke", "reporting")
        assert app.store.tokens.authenticate(secret) is None
    finally:
        app.close()
    assert "revoked" in _cli(data, "list").stdout
    refused = _cli(data, "revoke", "reporting", expect=2)
    assert "no active token named 'reporting'" in refused.stderr


def test_a_token_made_for_a_user_acts_for_that_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    app = bootstrap(Settings(data_dir=data))
    try:
        ann = app.store.users.create("Ann@Example.com", "correct horse battery staple")
        installation = app.store.tokens.create("ops").secret
    finally:
        app.close()
    # in-process, on the same data directory (the round trip above runs the real command)
    for name in [k for k in os.environ if k.startswith("LEDGERBRIDGE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("LEDGERBRIDGE_DATA_DIR", str(data))
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    made = runner.invoke(cli, ["token", "create", "ann-reports", "--user", "ann@example.COM"])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    unknown = runner.invoke(cli, ["token", "create", "x", "--user", "nobody@example.com"])
    assert isinstance(unknown.exception, ConfigError)
    assert "no user with e-mail 'nobody@example.com'" in str(unknown.exception)
    listed = runner.invoke(cli, ["token", "list"]).stdout
    assert "ann@example.com" in listed
    assert "(installation)" in listed
    assert " x " not in listed
    app = bootstrap(Settings(data_dir=data))
    try:
        mine = app.store.tokens.authenticate(secret)
        assert mine is not None
        assert mine.user_id == ann.id
        theirs = app.store.tokens.authenticate(installation)
        assert theirs is not None
        assert theirs.user_id is None
        assert [t.name for t in app.store.tokens.list()] == ["ops", "ann-reports"]
    finally:
        app.close()
