"""Connections: secrets encrypted at rest, compare-and-swap on refresh."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ledgerbridge.domain.errors import ConfigError, StateError
from ledgerbridge.store import SecretBox, Store
from tests.fixtures.db import make_test_store
from tests.integration.store.samples import add_connections, integration_config


def test_add_get_list(store: Store) -> None:
    added = store.connections.add(
        "crm", "zoho_crm", {"data_centre": "eu", "base_url": "https://x"}, {"token": "s3cret"}
    )
    assert added.name == "crm"
    assert added.system == "zoho_crm"
    assert added.settings == {"data_centre": "eu", "base_url": "https://x"}
    assert added.secrets_version == 1
    assert added.created_at.tzinfo is not None
    assert store.connections.get("crm") == added
    assert store.connections.get_by_id(added.id) == added
    store.connections.add("books", "zoho_books", {}, {})
    assert [c.name for c in store.connections.list()] == ["books", "crm"]


def test_row_never_shows_secrets(store: Store) -> None:
    row = store.connections.add("crm", "zoho_crm", {}, {"access_token": "tok-visible-nowhere"})
    assert "tok-visible-nowhere" not in repr(row)
    assert not hasattr(row, "secrets")


def test_duplicate_and_missing_names(store: Store) -> None:
    store.connections.add("crm", "zoho_crm", {}, {})
    with pytest.raises(ConfigError, match="already exists"):
        store.connections.add("crm", "xero", {}, {})
    with pytest.raises(ConfigError, match=r"no connection named 'nope'.*connection list"):
        store.connections.get("nope")
    with pytest.raises(ConfigError, match="no connection"):
        store.connections.get_by_id(999)
    with pytest.raises(ConfigError, match="no connection"):
        store.connections.secrets("nope")


def test_secrets_round_trip_and_compare_and_swap(store: Store) -> None:
    store.connections.add("xero", "xero", {}, {"refresh_token": "r1", "expires": 3})
    secrets, version = store.connections.secrets("xero")
    assert secrets == {"refresh_token": "r1", "expires": 3}
    assert version == 1
    assert store.connections.replace_secrets("xero", {"refresh_token": "r2"}, expected_version=1)
    assert store.connections.secrets("xero") == ({"refresh_token": "r2"}, 2)
    # A writer that read version 1 lost the race and must not overwrite r2.
    assert not store.connections.replace_secrets(
        "xero", {"refresh_token": "stale"}, expected_version=1
    )
    assert store.connections.secrets("xero") == ({"refresh_token": "r2"}, 2)
    assert store.connections.get("xero").secrets_version == 2
    with pytest.raises(ConfigError, match="no connection"):
        store.connections.replace_secrets("nope", {}, expected_version=1)


def _race(store: Store, seen: int, round_no: int) -> dict[str, bool]:
    """Two workers that both read version ``seen`` try to store a refreshed token at once."""
    barrier = threading.Barrier(2)
    wins: dict[str, bool] = {}
    errors: list[BaseException] = []

    def refresh(worker: str) -> None:
        try:
            barrier.wait(timeout=10)
            token = {"refresh_token": f"{worker}-{round_no}"}
            wins[worker] = store.connections.replace_secrets("xero", token, expected_version=seen)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=refresh, args=(w,)) for w in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    return wins


def test_compare_and_swap_under_two_threads(store: Store) -> None:
    store.connections.add("xero", "xero", {}, {"refresh_token": "r0"})
    for round_no in range(5):
        _, version = store.connections.secrets("xero")
        wins = _race(store, version, round_no)
        assert sorted(wins.values()) == [False, True]
        winner = next(w for w, won in wins.items() if won)
        secrets, new_version = store.connections.secrets("xero")
        assert new_version == version + 1
        assert secrets == {"refresh_token": f"{winner}-{round_no}"}


def test_update_settings_and_delete(store: Store) -> None:
    store.connections.add("crm", "zoho_crm", {"data_centre": "eu"}, {})
    updated = store.connections.update_settings("crm", {"data_centre": "com"})
    assert updated.settings == {"data_centre": "com"}
    assert store.connections.get("crm").settings == {"data_centre": "com"}
    store.connections.delete("crm")
    with pytest.raises(ConfigError):
        store.connections.get("crm")
    with pytest.raises(ConfigError):
        store.connections.delete("crm")
    with pytest.raises(ConfigError):
        store.connections.update_settings("crm", {})


def test_connection_in_use_cannot_be_deleted(store: Store) -> None:
    add_connections(store)
    store.integrations.create(integration_config("acme"))
    with pytest.raises(StateError, match=r"used by integration.*acme"):
        store.connections.delete("xero")
    assert store.connections.get("xero").name == "xero"


def test_wrong_key_is_refused_without_showing_it(store: Store) -> None:
    store.connections.add("crm", "zoho_crm", {}, {"token": "t"})
    other_key = SecretBox.generate_key()
    stranger = Store(store.engine, SecretBox([other_key]))
    with pytest.raises(ConfigError, match="cannot be decrypted") as info:
        stranger.connections.secrets("crm")
    assert other_key not in str(info.value)


def test_secrets_unreadable_in_sqlite_file(tmp_path: Path) -> None:
    store, cleanup = make_test_store("sqlite", tmp_path)
    try:
        token = "plaintext-refresh-token-7f3a9c"
        store.connections.add("crm-conn-name", "zoho_crm", {}, {"refresh_token": token})
        store.integrations.create(
            integration_config(
                "acme", crm_connection="crm-conn-name", books_connection="crm-conn-name"
            )
        )
        button = store.integrations.button_secret("acme")
        db_file = Path(str(store.engine.url.database))
        raw = b"".join(
            p.read_bytes() for p in db_file.parent.iterdir() if p.name.startswith(db_file.name)
        )
        # The name is stored in clear, which proves these are the bytes the store wrote.
        assert b"crm-conn-name" in raw
        assert token.encode() not in raw
        assert button.encode() not in raw
    finally:
        cleanup()
