"""Kinds of run: dry runs, windows, single records, and the history they leave."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledgerbridge.domain.config import Direction
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunKind, RunStatus
from ledgerbridge.engine.model import FieldChange, SyncRequest, Window, WindowKind
from tests.integration.engine.conftest import BuildWorld
from tests.support.flows import one_flow, people_flow


def test_a_dry_run_lists_every_field_change_and_writes_nothing(build: BuildWorld) -> None:
    w = build(one_flow(people_flow()))
    ann = w.crm.put("People", {"Full_Name": "Ann", "Email": "ann@x.test", "Phone": "1"})
    w.sync()
    partner = w.partner("people", Side.CRM, ann.id)
    assert partner is not None
    w.crm.edit("People", ann.id, {"Phone": "2", "Level": "Gold"})
    bob = w.crm.put("People", {"Full_Name": "Bob", "Email": "bob@x.test"})
    cy = w.books.put("Contacts", {"Name": "Cy", "EmailAddress": "cy@x.test", "Tier": "S"})
    writes = w.writes()
    bindings = w.bindings("people")
    cursors = w.store.cursors.all(w.integration.id)
    runs = w.store.runs.list(w.integration.id)

    report = w.sync(SyncRequest(dry_run=True))

    assert report.run_id is None
    assert w.writes() == writes
    assert w.bindings("people") == bindings
    assert w.store.cursors.all(w.integration.id) == cursors
    assert w.store.runs.list(w.integration.id) == runs
    planned = {(p.action, p.source, p.source_id): p for p in report.planned}
    assert set(planned) == {
        ("update", Side.CRM, ann.id),
        ("create", Side.CRM, bob.id),
        ("create", Side.BOOKS, cy.id),
    }
    update = planned[("update", Side.CRM, ann.id)]
    assert update.target is Side.BOOKS
    assert update.target_id == partner.id
    assert set(update.changes) == {FieldChange("Phone", "1", "2"), FieldChange("Tier", None, "G")}
    create_bob = planned[("create", Side.CRM, bob.id)]
    assert create_bob.target is Side.BOOKS
    assert set(create_bob.changes) == {
        FieldChange("Name", None, "Bob"),
        FieldChange("EmailAddress", None, "bob@x.test"),
    }
    create_cy = planned[("create", Side.BOOKS, cy.id)]
    assert create_cy.target is Side.CRM
    assert set(create_cy.changes) == {
        FieldChange("Full_Name", None, "Cy"),
        FieldChange("Email", None, "cy@x.test"),
        FieldChange("Level", None, "Silver"),
    }
    assert report.counts.as_dict()["people"]["crm"] == {"updated": 1, "created": 1}

    # The real run does what the dry run listed.
    real = w.sync()
    assert real.total(Outcome.CREATED) == 2
    assert real.total(Outcome.UPDATED) == 1
    assert w.mismatches("people") == []


def test_a_days_window_reads_only_recent_changes_and_keeps_the_cursor(
    build: BuildWorld,
) -> None:
    w = build(one_flow(people_flow()))
    old = w.crm.put("People", {"Full_Name": "Old", "Email": "old@x.test"})
    w.advance(timedelta(days=3))
    new = w.crm.put("People", {"Full_Name": "New", "Email": "new@x.test"})

    recent = w.sync(SyncRequest(window=Window(WindowKind.DAYS, days=1)))

    assert recent.status is RunStatus.SUCCEEDED
    assert w.partner("people", Side.CRM, new.id) is not None
    assert w.partner("people", Side.CRM, old.id) is None
    # It did not read everything since the (absent) cursor, so the cursor may not move.
    assert w.store.cursors.get(w.integration.id, "people", Side.CRM) is None

    full = w.sync(SyncRequest(window=Window(WindowKind.FULL)))

    assert full.counts.as_dict()["people"]["crm"]["created"] == 1
    assert w.partner("people", Side.CRM, old.id) is not None
    cursor = w.store.cursors.get(w.integration.id, "people", Side.CRM)
    assert cursor is not None

    # A days window that reaches back past the cursor covers it and moves it on.
    w.advance(timedelta(days=1))
    w.crm.edit("People", old.id, {"Phone": "9"})
    wide = w.sync(SyncRequest(window=Window(WindowKind.DAYS, days=5)))
    assert wide.counts.as_dict()["people"]["crm"]["updated"] == 1
    moved = w.store.cursors.get(w.integration.id, "people", Side.CRM)
    assert moved is not None
    assert moved > cursor


def test_since_last_reads_from_the_cursor_and_full_reads_everything(build: BuildWorld) -> None:
    w = build(one_flow(people_flow()))
    for n in range(4):
        w.crm.put("People", {"Full_Name": f"P{n}", "Email": f"p{n}@x.test"})
    w.sync()
    w.advance(timedelta(hours=1))
    w.crm.put("People", {"Full_Name": "Late", "Email": "late@x.test"})

    since_last = w.sync()

    read = since_last.counts.as_dict()["people"]["crm"]
    assert read == {"created": 1}

    full = w.sync(SyncRequest(window=Window(WindowKind.FULL)))

    assert full.counts.as_dict()["people"]["crm"] == {"unchanged": 5}
    assert full.counts.as_dict()["people"]["books"] == {"unchanged": 5}
    assert full.items == []


def test_a_run_in_one_direction_writes_only_that_way(build: BuildWorld) -> None:
    w = build(one_flow(people_flow()))
    w.crm.put("People", {"Full_Name": "Ann", "Email": "ann@x.test"})
    w.books.put("Contacts", {"Name": "Bob", "EmailAddress": "bob@x.test"})

    report = w.sync(SyncRequest(direction=Direction.CRM_TO_BOOKS))

    assert report.status is RunStatus.SUCCEEDED
    assert w.sizes("people") == (1, 2)
    assert w.crm.calls["create_many"] == 0


def test_a_single_record_sync_touches_that_record_only(build: BuildWorld) -> None:
    w = build(one_flow(people_flow()))
    ann = w.crm.put("People", {"Full_Name": "Ann", "Email": "ann@x.test"})
    bob = w.crm.put("People", {"Full_Name": "Bob", "Email": "bob@x.test"})

    report = w.sync_record("people", Side.CRM, ann.id)

    assert report.status is RunStatus.SUCCEEDED
    assert report.counts.as_dict() == {"people": {"crm": {"created": 1}}}
    assert w.partner("people", Side.CRM, ann.id) is not None
    assert w.partner("people", Side.CRM, bob.id) is None
    assert w.store.cursors.get(w.integration.id, "people", Side.CRM) is None
    assert report.run_id is not None
    assert w.store.runs.get(report.run_id).kind is RunKind.SINGLE

    again = w.sync_record("people", Side.CRM, ann.id)
    assert again.counts.as_dict() == {"people": {"crm": {"unchanged": 1}}}
    assert w.sizes("people") == (2, 1)


def test_a_single_record_sync_of_a_missing_record_fails_with_the_reason(
    build: BuildWorld,
) -> None:
    w = build(one_flow(people_flow()))

    report = w.sync_record("people", Side.CRM, "nope")

    assert report.status is RunStatus.PARTIAL
    (item,) = report.failures
    assert item.record_id == "nope"
    assert "no People record with id nope exists in the CRM" in item.reason
    with pytest.raises(ConfigError, match="no flow named nothing"):
        w.sync_record("nothing", Side.CRM, "x")


def test_run_history_counts_per_flow_and_side(build: BuildWorld) -> None:
    w = build()
    w.crm.put("Accounts", {"Account_Name": "Acme"})
    w.crm.put("Accounts", {"Email": "nameless@x.test"})
    w.books.put("Contacts", {"Name": "Globex"})
    w.books.put("Items", {"Name": "Bolt", "Code": "B1"})

    first = w.sync()
    second = w.sync()

    assert first.run_id is not None
    assert second.run_id is not None
    stored = w.store.runs.get(first.run_id)
    assert stored.status is RunStatus.PARTIAL
    assert stored.kind is RunKind.MANUAL
    assert stored.counts == first.counts.as_dict()
    assert stored.counts["accounts"]["crm"] == {"created": 1, "failed": 1}
    assert stored.counts["accounts"]["books"] == {"created": 1, "unchanged": 1}
    assert stored.counts["products"]["books"] == {"created": 1}
    assert stored.finished_at is not None
    assert [r.id for r in w.store.runs.list(w.integration.id)] == [second.run_id, first.run_id]
    failures = w.store.runs.failures(w.integration.id, 10)
    assert [(run_id, item.flow, item.side) for run_id, item in failures] == [
        (second.run_id, "accounts", Side.CRM),
        (first.run_id, "accounts", Side.CRM),
    ]
    assert w.store.runs.get(second.run_id).counts["accounts"]["crm"]["failed"] == 1
