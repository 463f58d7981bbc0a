"""Paused and disabled integrations run nothing and lose nothing; edits apply at the next run."""

from __future__ import annotations

import pytest

from ledgerbridge.domain.errors import StateError
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import RunStatus
from ledgerbridge.engine import lifecycle
from ledgerbridge.engine.model import SyncRequest
from ledgerbridge.recipes.starter import starter_config
from ledgerbridge.store import IntegrationState
from tests.integration.lifecycle.conftest import BuildWorld


def test_a_paused_integration_runs_nothing_and_syncs_what_changed_after_resume(
    build: BuildWorld,
) -> None:
    w = build()
    acme = w.crm.put("Accounts", {"Account_Name": "Acme", "Phone": "1"})
    assert w.sync().status is RunStatus.SUCCEEDED
    cursors = w.store.cursors.all(w.integration.id)
    runs = len(w.store.runs.list(w.integration.id))

    row = lifecycle.pause(w.store, "demo")
    assert row.state is IntegrationState.PAUSED
    assert not lifecycle.runnable(row)
    w.crm.edit("Accounts", acme.id, {"Phone": "2"})
    globex = w.crm.put("Accounts", {"Account_Name": "Globex"})
    w.books.reset_calls()

    with pytest.raises(StateError, match="demo is paused") as refused:
        w.sync()
    assert "ledgerbridge integration resume demo" in str(refused.value)
    with pytest.raises(StateError, match="paused"):
        w.sync_record("accounts", Side.CRM, globex.id)
    assert w.store.cursors.all(w.integration.id) == cursors
    assert len(w.store.runs.list(w.integration.id)) == runs
    assert sum(w.books.calls.values()) == 0

    assert lifecycle.resume(w.store, "demo").state is IntegrationState.ACTIVE
    report = w.sync()

    assert report.status is RunStatus.SUCCEEDED
    partner = w.partner("accounts", Side.CRM, acme.id)
    assert partner is not None
    assert partner.fields["Phone"] == "2"
    assert w.partner("accounts", Side.CRM, globex.id) is not None
    assert w.mismatches("accounts") == []


def test_a_disabled_integration_is_enabled_not_resumed(build: BuildWorld) -> None:
    w = build()
    lifecycle.disable(w.store, "demo")
    with pytest.raises(StateError, match="demo is disabled") as refused:
        w.sync()
    assert "ledgerbridge integration enable demo" in str(refused.value)
    with pytest.raises(StateError, match="enable"):
        lifecycle.resume(w.store, "demo")
    with pytest.raises(StateError, match="enable"):
        lifecycle.pause(w.store, "demo")
    assert lifecycle.enable(w.store, "demo").state is IntegrationState.ACTIVE
    assert w.sync().status is RunStatus.SUCCEEDED


def test_preferences_edited_in_the_store_apply_at_the_next_run(build: BuildWorld) -> None:
    w = build()
    w.crm.put("Accounts", {"Account_Name": "Acme"})
    w.sync()
    config = starter_config()
    flows = tuple(
        f.model_copy(update={"enabled": False}) if f.name == "products" else f for f in config.flows
    )
    w.store.integrations.replace(config.model_copy(update={"flows": flows}))
    w.crm.put("Products", {"Product_Name": "Widget", "Product_Code": "W-1"})
    w.crm.put("Accounts", {"Account_Name": "Globex"})

    # The world still holds the integration as it was loaded before the edit.
    report = w.sync(SyncRequest())

    assert "products" not in report.counts.as_dict()
    assert w.sizes("products") == (1, 0)
    assert w.sizes("accounts") == (2, 2)
