"""Per-record failures are data: a failed item with its reason, the rest go on, a retry follows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledgerbridge.connectors.base import Capabilities
from ledgerbridge.connectors.faults import FaultPlan
from ledgerbridge.connectors.memory import MemoryConnector, ModuleRules, TickingClock
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunStatus
from tests.integration.engine.conftest import BuildWorld
from tests.support.flows import NEEDS_EMAIL, one_flow, people_flow


def _failed(report_items: list[Any]) -> dict[str, Any]:
    return {i.record_id: i for i in report_items if i.outcome is Outcome.FAILED}


def test_a_record_missing_a_required_field_fails_with_the_reason_and_the_rest_sync(
    build: BuildWorld,
) -> None:
    w = build(one_flow(people_flow(required=(NEEDS_EMAIL,))))
    ok1 = w.crm.put("People", {"Full_Name": "Ann", "Email": "ann@x.test"})
    bad = w.crm.put("People", {"Full_Name": "Bob"})
    ok2 = w.crm.put("People", {"Full_Name": "Cy", "Email": "cy@x.test"})

    report = w.sync()

    assert report.status is RunStatus.PARTIAL
    failed = _failed(report.items)
    assert set(failed) == {bad.id}
    assert failed[bad.id].reason == NEEDS_EMAIL.message
    assert failed[bad.id].label == "Bob"
    assert w.partner("people", Side.CRM, ok1.id) is not None
    assert w.partner("people", Side.CRM, ok2.id) is not None
    assert w.partner("people", Side.CRM, bad.id) is None
    assert report.run_id is not None
    stored = w.store.runs.items(report.run_id, Outcome.FAILED)
    assert [(i.record_id, i.reason) for i in stored] == [(bad.id, NEEDS_EMAIL.message)]
    assert w.store.runs.get(report.run_id).status is RunStatus.PARTIAL
    assert w.store.pending.list(w.integration.id, "people", Side.CRM) == [bad.id]

    w.crm.edit("People", bad.id, {"Email": "bob@x.test"})
    fixed = w.sync()

    assert fixed.status is RunStatus.SUCCEEDED
    assert w.partner("people", Side.CRM, bad.id) is not None
    assert w.store.pending.count(w.integration.id) == 0
    assert w.sizes("people") == (3, 3)


def test_a_server_refusing_one_record_of_a_batch_fails_only_that_record(
    build: BuildWorld,
) -> None:
    clock = TickingClock()
    books = MemoryConnector(
        "books", clock=clock, modules={"Contacts": ModuleRules(unique=("Name",))}
    )
    w = build(one_flow(people_flow(match=False)), books=books, clock=clock)
    first = w.crm.put("People", {"Full_Name": "Same Name", "Phone": "1"})
    second = w.crm.put("People", {"Full_Name": "same name ", "Phone": "2"})
    third = w.crm.put("People", {"Full_Name": "Other", "Phone": "3"})

    report = w.sync()

    assert report.status is RunStatus.PARTIAL
    assert w.books.calls["create_many"] == 1  # one batch, a mixed answer
    failed = _failed(report.items)
    assert set(failed) == {second.id}
    assert failed[second.id].reason.startswith("the accounting system refused it: ")
    assert "already assigned" in failed[second.id].reason
    assert failed[second.id].detail["code"] == "duplicate"
    assert w.partner("people", Side.CRM, first.id) is not None
    assert w.partner("people", Side.CRM, third.id) is not None
    assert w.store.pending.list(w.integration.id, "people", Side.CRM) == [second.id]

    w.crm.edit("People", second.id, {"Full_Name": "Second Name"})
    fixed = w.sync()

    assert fixed.status is RunStatus.SUCCEEDED
    partner = w.partner("people", Side.CRM, second.id)
    assert partner is not None
    assert partner.fields["Name"] == "Second Name"
    assert w.store.pending.count(w.integration.id) == 0
    assert w.binding_problems("people") == []


def test_a_refused_record_is_retried_from_the_pending_table_after_the_cursor_moved_on(
    build: BuildWorld,
) -> None:
    def refuse_vip(module: str, fields: Mapping[str, Any]) -> str | None:
        if fields.get("Name") == "VIP":
            return "Name VIP is reserved"
        return None

    clock = TickingClock()
    books = MemoryConnector("books", clock=clock, faults=FaultPlan(fail_records=refuse_vip))
    w = build(one_flow(people_flow(match=False)), books=books, clock=clock)
    vip = w.crm.put("People", {"Full_Name": "VIP", "Phone": "1"})
    w.crm.put("People", {"Full_Name": "Plain", "Phone": "2"})

    first = w.sync()
    assert first.status is RunStatus.PARTIAL
    assert _failed(first.items)[vip.id].reason == (
        "the accounting system refused it: Name VIP is reserved"
    )
    # Still refused: the pending retry meets the same answer and the record stays pending.
    second = w.sync()
    assert set(_failed(second.items)) == {vip.id}
    assert w.store.pending.list(w.integration.id, "people", Side.CRM) == [vip.id]

    # The server is fixed; the CRM record did not change, so only the pending table brings it.
    w.books.faults = None
    third = w.sync()

    assert third.status is RunStatus.SUCCEEDED
    partner = w.partner("people", Side.CRM, vip.id)
    assert partner is not None
    assert partner.fields["Name"] == "VIP"
    assert w.store.pending.count(w.integration.id) == 0
    assert w.sizes("people") == (2, 2)
    assert w.sync().items == []


def test_a_failed_update_keeps_the_binding_so_the_change_is_sent_again(
    build: BuildWorld,
) -> None:
    def refuse_phone(module: str, fields: Mapping[str, Any]) -> str | None:
        return "Phone is not a number" if fields.get("Phone") == "abc" else None

    clock = TickingClock()
    books = MemoryConnector("books", clock=clock)
    w = build(one_flow(people_flow(match=False)), books=books, clock=clock)
    ann = w.crm.put("People", {"Full_Name": "Ann", "Phone": "1"})
    w.sync()
    w.books.faults = FaultPlan(fail_records=refuse_phone)
    w.crm.edit("People", ann.id, {"Phone": "abc"})

    refused = w.sync()

    assert set(_failed(refused.items)) == {ann.id}
    partner = w.partner("people", Side.CRM, ann.id)
    assert partner is not None
    assert partner.fields["Phone"] == "1"

    w.books.faults = None
    w.sync()

    partner = w.partner("people", Side.CRM, ann.id)
    assert partner is not None
    assert partner.fields["Phone"] == "abc"
    assert w.mismatches("people") == []


def test_small_batches_and_pages_sync_everything_once(build: BuildWorld) -> None:
    caps = Capabilities(page_size=3, batch_size=2, lookup_batch=2, idempotency=True, webhooks=False)
    clock = TickingClock()
    crm = MemoryConnector("crm", clock=clock, capabilities=caps)
    books = MemoryConnector("books", clock=clock, capabilities=caps)
    w = build(one_flow(people_flow()), crm=crm, books=books, clock=clock)
    for n in range(7):
        w.crm.put("People", {"Full_Name": f"P{n}", "Email": f"p{n}@x.test"})
    for n in range(5, 10):
        w.books.put("Contacts", {"Name": f"Q{n}", "EmailAddress": f"P{n}@x.test"})

    report = w.sync()

    assert report.status is RunStatus.SUCCEEDED
    assert w.sizes("people") == (10, 10)
    assert w.binding_problems("people") == []
    assert w.books.calls["create_many"] == 3  # P0..P4 in batches of two
    writes = w.writes()
    assert w.sync().items == []
    assert w.writes() == writes


def test_a_failed_record_linked_later_from_the_other_side_leaves_the_pending_table(
    build: BuildWorld,
) -> None:
    w = build(one_flow(people_flow()))
    crm = w.crm.put("People", {"Full_Name": "C", "Email": "x@x.test"})
    w.books.put("Contacts", {"Name": "B1", "EmailAddress": "x@x.test"})
    w.books.put("Contacts", {"Name": "B2", "EmailAddress": "X@x.test"})

    first = w.sync()

    # Two accounting records share the key: the CRM record cannot pick one and fails ...
    assert first.status is RunStatus.PARTIAL
    assert "2 accounting records share its EmailAddress" in _failed(first.items)[crm.id].reason
    # ... then the accounting pass links one of them to it and creates a partner for the other.
    assert w.partner("people", Side.CRM, crm.id) is not None
    assert w.binding_problems("people") == []

    second = w.sync()

    assert second.status is RunStatus.SUCCEEDED
    assert w.store.pending.count(w.integration.id) == 0
    get_many = w.crm.calls["get_many"]
    w.sync()
    assert w.crm.calls["get_many"] == get_many  # nothing left to retry by id
