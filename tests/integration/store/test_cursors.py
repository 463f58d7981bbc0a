"""Cursors: per flow and side, upserted, read back aware, reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from ledgerbridge.domain.records import Side
from ledgerbridge.store import Store
from tests.integration.store.samples import make_integration


def test_set_get_and_overwrite(store: Store) -> None:
    iid = make_integration(store)
    assert store.cursors.get(iid, "accounts", Side.CRM) is None
    minus_five = timezone(timedelta(hours=-5))
    first = datetime(2026, 2, 1, 7, 0, 0, 500, tzinfo=minus_five)
    store.cursors.set(iid, "accounts", Side.CRM, first)
    got = store.cursors.get(iid, "accounts", Side.CRM)
    assert got == first
    assert got is not None
    assert got.tzinfo == UTC
    assert got.hour == 12
    later = datetime(2026, 2, 2, tzinfo=UTC)
    store.cursors.set(iid, "accounts", Side.CRM, later)
    assert store.cursors.get(iid, "accounts", Side.CRM) == later
    assert store.cursors.get(iid, "accounts", Side.BOOKS) is None
    store.cursors.set(iid, "accounts", Side.CRM, None)
    assert store.cursors.get(iid, "accounts", Side.CRM) is None


def test_all_and_reset(store: Store) -> None:
    iid = make_integration(store)
    other = store.integrations.create(
        store.integrations.config("acme").model_copy(update={"name": "other"})
    ).id
    t1 = datetime(2026, 1, 1, tzinfo=UTC)
    t2 = datetime(2026, 1, 2, tzinfo=UTC)
    store.cursors.set(iid, "accounts", Side.CRM, t1)
    store.cursors.set(iid, "accounts", Side.BOOKS, t2)
    store.cursors.set(iid, "invoices", Side.CRM, None)
    store.cursors.set(other, "accounts", Side.CRM, t2)
    assert store.cursors.all(iid) == {
        ("accounts", Side.CRM): t1,
        ("accounts", Side.BOOKS): t2,
        ("invoices", Side.CRM): None,
    }
    assert store.cursors.reset(iid, "accounts") == 2
    assert store.cursors.all(iid) == {("invoices", Side.CRM): None}
    assert store.cursors.reset(iid) == 1
    assert store.cursors.all(iid) == {}
    assert store.cursors.all(other) == {("accounts", Side.CRM): t2}
