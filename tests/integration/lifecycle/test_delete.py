"""Deleting an integration: only when disabled, keeping every record or only those with
transactions, the bindings gone in both cases."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from ledgerbridge.domain.errors import ConfigError, StateError
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import RunStatus
from ledgerbridge.engine import lifecycle
from ledgerbridge.engine.lifecycle import Keep
from ledgerbridge.engine.model import Systems
from tests.integration.lifecycle.conftest import BuildWorld
from tests.support.world import World


def _books_world(build: BuildWorld) -> tuple[World, dict[str, str]]:
    """Accounts, products and one invoice; one contact existed in the books before."""
    w = build()
    ids: dict[str, str] = {}
    ids["linked"] = w.books.put("Contacts", {"Name": "Initech"}).id
    w.crm.put("Accounts", {"Account_Name": "Initech"})
    acme = w.crm.put("Accounts", {"Account_Name": "Acme"})
    w.crm.put("Accounts", {"Account_Name": "Globex"})
    widget = w.crm.put("Products", {"Product_Name": "Widget", "Product_Code": "W-1"})
    w.crm.put("Products", {"Product_Name": "Gadget", "Product_Code": "G-1"})
    w.crm.put(
        "Invoices",
        {
            "Invoice_Number": "INV-1",
            "Account_Name": {"id": acme.id},
            "Invoiced_Items": [{"Product_Name": {"id": widget.id}, "Quantity": 1}],
        },
    )
    assert w.sync().status is RunStatus.SUCCEEDED
    for name in ("Acme", "Globex"):
        found = [c for c in w.books.all("Contacts") if c.fields["Name"] == name]
        ids[name] = found[0].id
    for code in ("W-1", "G-1"):
        ids[code] = next(i.id for i in w.books.all("Items") if i.fields["Code"] == code)
    ids["invoice"] = w.books.all("Invoices")[0].id
    return w, ids


def _live(w: World, module: str, ids: Sequence[str]) -> set[str]:
    return {i for i in ids if w.books.record(module, i) is not None}


def test_only_a_disabled_integration_can_be_deleted(build: BuildWorld) -> None:
    w = build()
    with pytest.raises(StateError, match="only a disabled integration can be deleted"):
        lifecycle.delete(w.store, "demo", Keep.ALL)
    lifecycle.pause(w.store, "demo")
    with pytest.raises(StateError, match="integration disable demo"):
        lifecycle.delete(w.store, "demo", Keep.ALL)
    assert w.store.integrations.get("demo").name == "demo"


def test_keep_all_leaves_every_record_and_drops_the_state(build: BuildWorld) -> None:
    w, ids = _books_world(build)
    contacts, items = w.books.count("Contacts"), w.books.count("Items")
    lifecycle.disable(w.store, "demo")

    report = lifecycle.delete(w.store, "demo", Keep.ALL)

    assert report.bindings_removed == 3 + 2 + 1
    assert report.archived_total == 0
    assert (w.books.count("Contacts"), w.books.count("Items")) == (contacts, items)
    assert _live(w, "Contacts", [ids["Globex"]]) == {ids["Globex"]}
    with pytest.raises(ConfigError, match="no integration named 'demo'"):
        w.store.integrations.get("demo")
    assert w.store.bindings.count(w.integration.id) == 0
    assert w.store.cursors.all(w.integration.id) == {}
    assert w.store.checkpoints.all(w.integration.id) == {}


def test_keep_with_transactions_archives_only_created_records_without_any(
    build: BuildWorld,
) -> None:
    w, ids = _books_world(build)
    lifecycle.disable(w.store, "demo")

    report = lifecycle.delete(w.store, "demo", Keep.WITH_TRANSACTIONS, w.systems)

    # Globex and Gadget were created by the integration and no synced invoice names them.
    assert report.archived == {"accounts": [ids["Globex"]], "products": [ids["G-1"]]}
    assert report.kept_with_transactions == {"accounts": 1, "products": 1}
    assert _live(w, "Contacts", [ids["Acme"], ids["Globex"], ids["linked"]]) == {
        ids["Acme"],
        ids["linked"],  # found and linked, not created: never touched
    }
    assert _live(w, "Items", [ids["W-1"], ids["G-1"]]) == {ids["W-1"]}
    assert w.books.record("Invoices", ids["invoice"]) is not None
    assert w.store.bindings.count(w.integration.id) == 0


class _NoArchive:
    """An accounting system whose connector cannot archive."""

    def __init__(self, world: World) -> None:
        self.system = "plain"
        self.capabilities = world.books.capabilities
        self.inner = world.books


def test_keep_with_transactions_needs_a_connector_that_archives(build: BuildWorld) -> None:
    w, _ids = _books_world(build)
    lifecycle.disable(w.store, "demo")
    systems = Systems(crm=w.crm, books=_NoArchive(w))  # type: ignore[arg-type]

    with pytest.raises(StateError, match="cannot archive records yet"):
        lifecycle.delete(w.store, "demo", Keep.WITH_TRANSACTIONS, systems)

    assert w.store.integrations.get("demo").name == "demo"
    assert w.store.bindings.count(w.integration.id) == 6


def test_a_deletion_is_carried_across_only_when_the_flow_opts_in(build: BuildWorld) -> None:
    w = build()
    acme = w.crm.put("Accounts", {"Account_Name": "Acme"})
    globex = w.crm.put("Accounts", {"Account_Name": "Globex"})
    w.sync()
    acme_books = w.partner("accounts", Side.CRM, acme.id)
    globex_books = w.partner("accounts", Side.CRM, globex.id)
    assert acme_books is not None
    assert globex_books is not None

    w.crm.delete("Accounts", acme.id)
    kept = w.sync()
    (item,) = kept.items
    assert "does not carry deletions across" in item.reason
    assert w.books.record("Contacts", acme_books.id) is not None

    config = w.store.integrations.config("demo")
    flows = tuple(
        f.model_copy(update={"propagate_deletes": True}) if f.name == "accounts" else f
        for f in config.flows
    )
    w.store.integrations.replace(config.model_copy(update={"flows": flows}))
    w.crm.delete("Accounts", globex.id)
    carried = w.sync()

    assert carried.status is RunStatus.SUCCEEDED
    reasons = {i.record_id: i.reason for i in carried.items}
    assert f"its partner {globex_books.id} was archived" in reasons[globex.id]
    assert w.books.record("Contacts", globex_books.id) is None
    assert w.partner("accounts", Side.CRM, globex.id) is None
    assert w.sync().items == []
