"""Checkpoints and the records an integration created, as the store keeps them."""

from __future__ import annotations

from datetime import UTC, datetime

from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import RunKind
from ledgerbridge.recipes.starter import starter_config
from ledgerbridge.store import Store

T1 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
T2 = datetime(2026, 1, 1, 13, 0, tzinfo=UTC)


def _integration(store: Store) -> int:
    store.connections.add("crm", "memory", {}, {})
    store.connections.add("books", "memory", {}, {})
    return store.integrations.create(starter_config()).id


def test_checkpoints_per_flow_side_and_window(store: Store) -> None:
    iid = _integration(store)
    cps = store.checkpoints
    assert cps.get(iid, "accounts", Side.CRM, "full") is None
    cps.set(iid, "accounts", Side.CRM, "full", T1)
    cps.set(iid, "accounts", Side.CRM, "full", T2)
    cps.set(iid, "accounts", Side.CRM, "since_last", T1)
    cps.set(iid, "accounts", Side.BOOKS, "full", T1)
    assert cps.get(iid, "accounts", Side.CRM, "full") == T2
    assert cps.clear(iid, "accounts", Side.CRM) == 2
    assert cps.all(iid) == {("accounts", Side.BOOKS, "full"): T1}


def test_created_records_are_remembered_once_and_forgotten(store: Store) -> None:
    iid = _integration(store)
    created = store.created
    created.add(iid, "accounts", Side.BOOKS, ["b2", "b1", "b1"])
    created.add(iid, "accounts", Side.BOOKS, ["b2"])
    assert created.list(iid, "accounts", Side.BOOKS) == ["b1", "b2"]
    assert created.list(iid, "accounts", Side.CRM) == []
    assert created.forget(iid, "accounts", Side.BOOKS, ["b1"]) == 1
    assert created.list(iid, "accounts", Side.BOOKS) == ["b2"]


def test_a_flow_removed_by_replace_loses_its_checkpoints_and_created_records(
    store: Store,
) -> None:
    iid = _integration(store)
    store.checkpoints.set(iid, "products", Side.CRM, "full", T1)
    store.checkpoints.set(iid, "accounts", Side.CRM, "full", T1)
    store.created.add(iid, "products", Side.BOOKS, ["i1"])
    store.created.add(iid, "accounts", Side.BOOKS, ["c1"])
    config = starter_config()
    # Invoices look products up, so they go with them.
    kept = tuple(f for f in config.flows if f.name == "accounts")
    store.integrations.replace(config.model_copy(update={"flows": kept}))

    assert store.checkpoints.all(iid) == {("accounts", Side.CRM, "full"): T1}
    assert store.created.list(iid, "products", Side.BOOKS) == []
    assert store.created.list(iid, "accounts", Side.BOOKS) == ["c1"]


def test_a_run_notice_is_kept_with_the_run(store: Store) -> None:
    iid = _integration(store)
    run_id = store.runs.start(iid, RunKind.MANUAL, {}, False)
    assert store.runs.notice(run_id) is None
    store.runs.set_notice(run_id, "the summary e-mail was not sent")
    assert store.runs.notice(run_id) == "the summary e-mail was not sent"
