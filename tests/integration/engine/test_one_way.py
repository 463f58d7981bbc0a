"""A one-way run carries one side's changes and keeps the other side's for a later run."""

from __future__ import annotations

from ledgerbridge.domain.config import Direction
from ledgerbridge.domain.records import Side
from ledgerbridge.engine.model import SyncRequest
from tests.integration.engine.conftest import BuildWorld
from tests.support.flows import one_flow, people_flow


def test_changes_on_the_side_a_one_way_run_does_not_read_sync_later(build: BuildWorld) -> None:
    w = build(one_flow(people_flow()))
    ann = w.crm.put("People", {"Full_Name": "Ann", "Email": "ann@x.test", "Phone": "100"})
    w.sync()
    partner = w.partner("people", Side.CRM, ann.id)
    assert partner is not None
    # Both sides change different fields; the run only carries CRM -> accounting.
    w.crm.edit("People", ann.id, {"Full_Name": "Ann Lee"})
    w.books.edit("Contacts", partner.id, {"Phone": "200"})
    w.sync(SyncRequest(direction=Direction.CRM_TO_BOOKS))
    crm_now = w.crm.record("People", ann.id)
    assert crm_now is not None and crm_now.fields.get("Phone") == "100"
    # The next two-way run still sees the accounting change and carries it to the CRM.
    w.sync()
    crm_now = w.crm.record("People", ann.id)
    assert crm_now is not None and crm_now.fields.get("Phone") == "200"
    books_now = w.books.record("Contacts", partner.id)
    assert books_now is not None and "Ann Lee" in str(books_now.fields)
    assert w.mismatches("people") == []
