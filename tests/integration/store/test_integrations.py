"""Integrations: config stored as rows, rebuilt and validated, export/import round trip."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from ledgerbridge.domain.bindings import Binding
from ledgerbridge.domain.config import DuplicatePolicy, IntegrationConfig, ScheduleConfig
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import RunKind
from ledgerbridge.store import IntegrationState, Store
from ledgerbridge.store.tables import bindings, cursors, flows, integrations, runs
from tests.integration.store.samples import (
    ACCOUNTS,
    INVOICES,
    PRODUCTS,
    add_connections,
    integration_config,
    make_integration,
)

OVERWRITE = DuplicatePolicy.OVERWRITE


def _binding(n: int) -> Binding:
    return Binding(crm_id=f"c{n}", books_id=f"b{n}", base={}, crm_hash="h", books_hash="h")


def test_create_and_get(store: Store) -> None:
    add_connections(store)
    row = store.integrations.create(integration_config("acme"))
    assert row.name == "acme"
    assert row.recipe == "zoho_crm_xero"
    assert (row.crm_connection, row.books_connection) == ("crm", "xero")
    assert row.state is IntegrationState.ACTIVE
    assert row.notify_email == "ops@example.com"
    assert row.schedule == ScheduleConfig(enabled=True, interval_minutes=30, flows=("accounts",))
    assert row.flows == (ACCOUNTS, INVOICES)
    assert row.flow("invoices") == INVOICES
    with pytest.raises(ConfigError, match="no flow 'nope'"):
        row.flow("nope")
    assert store.integrations.get("acme") == row
    assert store.integrations.get_by_id(row.id) == row


def test_export_import_round_trip(store: Store) -> None:
    add_connections(store)
    original = integration_config("acme")
    store.integrations.create(original)
    exported = store.integrations.config("acme")
    assert exported == original
    # What export writes, import reads: through JSON and back, then into a new integration.
    reimported = IntegrationConfig.model_validate_json(
        exported.model_copy(update={"name": "acme-copy"}).model_dump_json()
    )
    store.integrations.create(reimported)
    assert store.integrations.config("acme-copy") == reimported
    assert [i.name for i in store.integrations.list()] == ["acme", "acme-copy"]


def test_create_refuses_duplicates_and_unknown_connections(store: Store) -> None:
    add_connections(store)
    store.integrations.create(integration_config("acme"))
    with pytest.raises(ConfigError, match=r"already exists.*import --replace"):
        store.integrations.create(integration_config("acme"))
    with pytest.raises(ConfigError, match="no accounting connection named 'ghost'"):
        store.integrations.create(integration_config("other", books_connection="ghost"))
    assert [i.name for i in store.integrations.list()] == ["acme"]


def test_missing_integration(store: Store) -> None:
    with pytest.raises(ConfigError, match="no integration named 'x'"):
        store.integrations.get("x")
    with pytest.raises(ConfigError, match="no integration"):
        store.integrations.get_by_id(12345)
    with pytest.raises(ConfigError, match="no integration"):
        store.integrations.replace(integration_config("x"))
    with pytest.raises(ConfigError, match="no integration"):
        store.integrations.delete("x")
    assert store.integrations.list() == []


def test_replace_keeps_state_of_remaining_flows(store: Store) -> None:
    integration_id = make_integration(store)
    store.connections.add("books2", "zoho_books", {}, {})
    store.bindings.insert_many(integration_id, "accounts", [_binding(1)])
    store.bindings.insert_many(integration_id, "invoices", [_binding(2)])
    when = datetime(2026, 1, 1, tzinfo=UTC)
    store.cursors.set(integration_id, "accounts", Side.CRM, when)
    store.cursors.set(integration_id, "invoices", Side.CRM, when)
    store.integrations.set_state("acme", "paused")

    new = integration_config(
        "acme",
        books_connection="books2",
        notify_email=None,
        schedule=ScheduleConfig(),
        flows=(PRODUCTS, ACCOUNTS.model_copy(update={"duplicate_policy": OVERWRITE})),
    )
    row = store.integrations.replace(new)
    assert row.id == integration_id
    assert row.books_connection == "books2"
    assert row.state is IntegrationState.PAUSED
    assert [f.name for f in row.flows] == ["products", "accounts"]
    assert store.integrations.config("acme") == new
    assert store.bindings.count(integration_id, "accounts") == 1
    assert store.bindings.count(integration_id, "invoices") == 0
    assert store.cursors.all(integration_id) == {("accounts", Side.CRM): when}


def test_set_state(store: Store) -> None:
    make_integration(store)
    assert store.integrations.set_state("acme", "disabled").state is IntegrationState.DISABLED
    assert store.integrations.get("acme").state == "disabled"
    with pytest.raises(ConfigError, match="unknown integration state 'asleep'"):
        store.integrations.set_state("acme", "asleep")
    with pytest.raises(ConfigError, match="no integration"):
        store.integrations.set_state("ghost", "active")


def test_delete_cascades(store: Store) -> None:
    integration_id = make_integration(store)
    other_id = store.integrations.create(integration_config("other")).id
    for iid in (integration_id, other_id):
        store.bindings.insert_many(iid, "accounts", [_binding(1), _binding(2)])
        store.cursors.set(iid, "accounts", Side.BOOKS, None)
        store.runs.start(iid, RunKind.MANUAL, {}, dry_run=False)
    store.integrations.delete("acme")
    with store.engine.connect() as conn:
        for table in (bindings, cursors, runs, flows):
            left = conn.execute(
                sa.select(sa.func.count())
                .select_from(table)
                .where(table.c.integration_id == integration_id)
            ).scalar_one()
            assert left == 0, table.name
    assert store.bindings.count(other_id) == 2
    assert [i.name for i in store.integrations.list()] == ["other"]


def test_invalid_stored_flow_names_the_flow(store: Store) -> None:
    integration_id = make_integration(store)
    with store.engine.begin() as conn:
        conn.execute(
            flows.update()
            .where(flows.c.integration_id == integration_id, flows.c.name == "invoices")
            .values(config={"name": "invoices", "crm_module": "Invoices"})
        )
    with pytest.raises(ConfigError, match=r"'acme', flow 'invoices'.*books_module"):
        store.integrations.get("acme")


def test_button_secret(store: Store) -> None:
    integration_id = make_integration(store)
    first = store.integrations.button_secret("acme")
    assert len(first) >= 40
    assert store.integrations.button_secret("acme") == first
    with store.engine.connect() as conn:
        stored = conn.execute(
            sa.select(integrations.c.button_secret_encrypted).where(
                integrations.c.id == integration_id
            )
        ).scalar_one()
    assert first.encode() not in bytes(stored)
    rotated = store.integrations.rotate_button_secret("acme")
    assert rotated != first
    assert store.integrations.button_secret("acme") == rotated
    with pytest.raises(ConfigError):
        store.integrations.button_secret("ghost")


def test_settings(store: Store) -> None:
    make_integration(store)
    assert store.integrations.settings("acme") == {}
    store.integrations.update_settings("acme", {"webhook": {"key": "k"}})
    assert store.integrations.settings("acme") == {"webhook": {"key": "k"}}
    with pytest.raises(ConfigError):
        store.integrations.update_settings("ghost", {})
