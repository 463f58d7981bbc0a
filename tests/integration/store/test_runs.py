"""Runs and run items: history, paging, failures, interrupted runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunCounts, RunItem, RunKind, RunStatus
from ledgerbridge.store import Store
from ledgerbridge.store.runs import INTERRUPTED_ERROR
from ledgerbridge.store.tables import runs
from tests.integration.store.samples import make_integration


def _item(n: int, outcome: Outcome, flow: str = "accounts") -> RunItem:
    return RunItem(
        flow=flow,
        side=Side.CRM if n % 2 else Side.BOOKS,
        record_id=f"r{n}",
        outcome=outcome,
        reason=f"reason {n}",
        partner_id=None if outcome is Outcome.FAILED else f"p{n}",
        label=f"Record {n}",
        detail={"n": n},
    )


def test_run_life_cycle(store: Store) -> None:
    iid = make_integration(store)
    before = datetime.now(UTC)
    run_id = store.runs.start(iid, RunKind.MANUAL, {"flows": ["accounts"]}, dry_run=True)
    started = store.runs.get(run_id)
    assert started.integration == "acme"
    assert started.kind is RunKind.MANUAL
    assert started.status is RunStatus.RUNNING
    assert started.dry_run is True
    assert started.request == {"flows": ["accounts"]}
    assert started.counts == {}
    assert started.finished_at is None
    assert before <= started.started_at <= datetime.now(UTC)
    assert store.runs.running(iid) == started

    store.runs.heartbeat(run_id)
    counts = RunCounts()
    counts.add("accounts", Side.CRM, Outcome.CREATED, 3)
    store.runs.finish(run_id, RunStatus.PARTIAL, counts, error="1 record failed")
    done = store.runs.get(run_id)
    assert done.status is RunStatus.PARTIAL
    assert done.counts == {"accounts": {"crm": {"created": 3}}}
    assert done.error == "1 record failed"
    assert done.finished_at is not None
    assert done.finished_at >= done.started_at
    assert store.runs.running(iid) is None

    store.runs.finish(run_id, RunStatus.SUCCEEDED, {"total": 1})
    assert store.runs.get(run_id).counts == {"total": 1}
    assert store.runs.get(run_id).error is None
    with pytest.raises(ConfigError, match="no run with id 999"):
        store.runs.get(999)
    with pytest.raises(ConfigError):
        store.runs.finish(999, RunStatus.FAILED, {})


def test_items_filter_and_page(store: Store) -> None:
    iid = make_integration(store)
    run_id = store.runs.start(iid, RunKind.SCHEDULED, {}, dry_run=False)
    outcomes = [Outcome.CREATED, Outcome.FAILED, Outcome.UPDATED, Outcome.FAILED, Outcome.SKIPPED]
    items = [_item(n, o) for n, o in enumerate(outcomes)]
    store.runs.add_items(run_id, items[:2])
    store.runs.add_items(run_id, items[2:])
    store.runs.add_items(run_id, [])
    assert store.runs.items(run_id) == items
    assert store.runs.items(run_id, Outcome.FAILED) == [items[1], items[3]]
    assert store.runs.items(run_id, limit=2, offset=1) == items[1:3]
    assert store.runs.items(run_id, Outcome.CONFLICT) == []


def test_item_detail_json(store: Store) -> None:
    iid = make_integration(store)
    run_id = store.runs.start(iid, RunKind.SINGLE, {"record": "r1"}, dry_run=False)
    item = RunItem(
        flow="invoices",
        side=Side.CRM,
        record_id="r1",
        outcome=Outcome.CONFLICT,
        detail={"Total": {"crm": Decimal("99.90"), "books": Decimal("100")}},
    )
    store.runs.add_items(run_id, [item])
    (got,) = store.runs.items(run_id)
    assert got.detail == {"Total": {"crm": "99.90", "books": "100"}}
    assert (got.reason, got.label, got.partner_id) == ("", "", None)


def test_list_newest_first_with_paging(store: Store) -> None:
    iid = make_integration(store)
    other = store.integrations.create(
        store.integrations.config("acme").model_copy(update={"name": "other"})
    ).id
    ids = [store.runs.start(iid, RunKind.MANUAL, {"n": n}, dry_run=False) for n in range(5)]
    store.runs.start(other, RunKind.MANUAL, {}, dry_run=False)
    newest = store.runs.list(iid, limit=2)
    assert [r.id for r in newest] == [ids[4], ids[3]]
    page2 = store.runs.list(iid, limit=2, before_id=newest[-1].id)
    assert [r.id for r in page2] == [ids[2], ids[1]]
    assert [r.id for r in store.runs.list(iid)] == ids[::-1]


def test_failures_across_runs(store: Store) -> None:
    iid = make_integration(store)
    other = store.integrations.create(
        store.integrations.config("acme").model_copy(update={"name": "other"})
    ).id
    first = store.runs.start(iid, RunKind.MANUAL, {}, dry_run=False)
    store.runs.add_items(first, [_item(1, Outcome.FAILED), _item(2, Outcome.CREATED)])
    second = store.runs.start(iid, RunKind.MANUAL, {}, dry_run=False)
    store.runs.add_items(second, [_item(3, Outcome.FAILED), _item(4, Outcome.FAILED)])
    elsewhere = store.runs.start(other, RunKind.MANUAL, {}, dry_run=False)
    store.runs.add_items(elsewhere, [_item(5, Outcome.FAILED)])
    got = store.runs.failures(iid, limit=10)
    assert [(run, item.record_id) for run, item in got] == [
        (second, "r4"),
        (second, "r3"),
        (first, "r1"),
    ]
    assert len(store.runs.failures(iid, limit=2)) == 2


def test_mark_interrupted(store: Store) -> None:
    iid = make_integration(store)
    other = store.integrations.create(
        store.integrations.config("acme").model_copy(update={"name": "other"})
    ).id
    stale = store.runs.start(iid, RunKind.MANUAL, {}, dry_run=False)
    live = store.runs.start(iid, RunKind.WEBHOOK, {}, dry_run=False)
    finished = store.runs.start(iid, RunKind.MANUAL, {}, dry_run=False)
    store.runs.finish(finished, RunStatus.SUCCEEDED, {})
    elsewhere = store.runs.start(other, RunKind.MANUAL, {}, dry_run=False)
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    with store.engine.begin() as conn:
        conn.execute(
            runs.update()
            .where(runs.c.id.in_([stale, elsewhere]))
            .values(started_at=long_ago, heartbeat_at=long_ago)
        )
    cutoff = datetime.now(UTC) - timedelta(minutes=5)
    assert store.runs.mark_interrupted(iid, older_than=cutoff) == 1
    assert store.runs.get(stale).status is RunStatus.INTERRUPTED
    assert store.runs.get(stale).error == INTERRUPTED_ERROR
    assert store.runs.get(stale).finished_at is not None
    assert store.runs.get(live).status is RunStatus.RUNNING
    assert store.runs.get(finished).status is RunStatus.SUCCEEDED
    assert store.runs.get(elsewhere).status is RunStatus.RUNNING
    assert store.runs.running(iid) == store.runs.get(live)

    # At startup nothing of ours can be running: every RUNNING run is interrupted.
    assert store.runs.mark_interrupted() == 2
    assert store.runs.get(live).status is RunStatus.INTERRUPTED
    assert store.runs.get(elsewhere).status is RunStatus.INTERRUPTED
    assert store.runs.running(iid) is None
    assert store.runs.mark_interrupted() == 0


def test_heartbeat_moves_forward(store: Store) -> None:
    iid = make_integration(store)
    run_id = store.runs.start(iid, RunKind.MANUAL, {}, dry_run=False)
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    with store.engine.begin() as conn:
        conn.execute(runs.update().where(runs.c.id == run_id).values(heartbeat_at=long_ago))
    store.runs.heartbeat(run_id)
    with store.engine.connect() as conn:
        beat = conn.execute(sa.select(runs.c.heartbeat_at).where(runs.c.id == run_id)).scalar_one()
    assert beat > long_ago + timedelta(minutes=59)
    assert store.runs.mark_interrupted(older_than=datetime.now(UTC) - timedelta(minutes=5)) == 0
