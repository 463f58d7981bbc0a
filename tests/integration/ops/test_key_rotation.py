"""Rotating the secret key: new key first, stored secrets re-encrypted, the old key removed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from ledgerbridge.checks import check_stored_secrets
from ledgerbridge.cli import app as cli
from ledgerbridge.settings import Settings
from ledgerbridge.store import SecretBox, Store, make_engine
from ledgerbridge.store.crypto import BlobState, rotate_stored, stored_states
from ledgerbridge.store.migrate import upgrade
from tests.support.flows import one_flow, people_flow

OLD, NEW, STRANGER = (Fernet.generate_key().decode() for _ in range(3))


@pytest.fixture
def stored(db_url: str) -> str:
    """A database holding a connection's secrets and a button secret, under the old key."""
    engine = make_engine(db_url)
    upgrade(engine)
    store = Store(engine, SecretBox([OLD]))
    store.connections.add("crm", "memory", {}, {"client_secret": "cs-1", "tokens": {"a": 1}})
    store.connections.add("books", "memory", {}, {})
    store.integrations.create(one_flow(people_flow(), name="acme"))
    store.integrations.button_secret("acme")
    store.close()
    return db_url


def settings_for(db_url: str, tmp_path: Path, keys: str) -> Settings:
    return Settings(data_dir=tmp_path, database_url=db_url, secret_key=keys)


def test_rotation_rewrites_every_secret_and_the_old_key_can_go(stored: str, tmp_path: Path) -> None:
    engine = make_engine(stored)
    try:
        both = SecretBox([NEW, OLD])
        assert stored_states(engine, both) == {BlobState.OLDER_KEY: 3}
        check = check_stored_secrets(settings_for(stored, tmp_path, f"{NEW},{OLD}"))
        assert check.ok
        assert "3 still under an older key: run `ledgerbridge db rotate-key`" in check.detail
        assert rotate_stored(engine, both) == 3
        assert rotate_stored(engine, both) == 0
        assert stored_states(engine, both) == {BlobState.CURRENT: 3}
        # The old key is gone; every value is as it was.
        store = Store(engine, SecretBox([NEW]))
        secrets, _ = store.connections.secrets("crm")
        assert secrets == {"client_secret": "cs-1", "tokens": {"a": 1}}
        assert store.integrations.button_secret("acme")
        assert check_stored_secrets(settings_for(stored, tmp_path, NEW)).detail == (
            "3 readable, all under the first key"
        )
    finally:
        engine.dispose()


def test_a_wrong_key_fails_the_check_and_stops_the_rotation(stored: str, tmp_path: Path) -> None:
    check = check_stored_secrets(settings_for(stored, tmp_path, STRANGER))
    assert not check.ok
    assert "3 of 3 cannot be decrypted with the configured key(s)" in check.detail
    assert "the key used before" in check.fix
    engine = make_engine(stored)
    try:
        from ledgerbridge.domain.errors import ConfigError

        with pytest.raises(ConfigError, match="cannot be decrypted"):
            rotate_stored(engine, SecretBox([STRANGER]))
        assert stored_states(engine, SecretBox([OLD])) == {BlobState.CURRENT: 3}
    finally:
        engine.dispose()


def test_the_command(stored: str, tmp_path: Path) -> None:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("LEDGERBRIDGE_")} | {
        "LEDGERBRIDGE_DATABASE_URL": stored,
        "LEDGERBRIDGE_DATA_DIR": str(tmp_path),
        "LEDGERBRIDGE_SECRET_KEY": f"{NEW},{OLD}",
        "LEDGERBRIDGE_SECRETS_DIR": str(tmp_path),
    }
    done = CliRunner().invoke(cli, ["db", "rotate-key"], env=env)
    assert done.exit_code == 0, done.output
    assert "3 stored secret(s) re-encrypted with the first key" in done.output
    assert "the others can be removed" in done.output
    engine = make_engine(stored)
    try:
        assert stored_states(engine, SecretBox([NEW])) == {BlobState.CURRENT: 3}
    finally:
        engine.dispose()
