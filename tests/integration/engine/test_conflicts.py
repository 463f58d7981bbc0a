"""Both sides changed the same field: the policy picks a value and the run says so."""

from __future__ import annotations

import pytest

from ledgerbridge.connectors.memory import MemoryConnector, TickingClock
from ledgerbridge.domain.config import ConflictPolicy
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome
from tests.integration.engine.conftest import BuildWorld
from tests.support.flows import one_flow, people_flow
from tests.support.world import World


def _bound_pair(w: World) -> tuple[str, str]:
    ann = w.crm.put("People", {"Full_Name": "Ann", "Email": "ann@x.test", "Phone": "100"})
    w.sync()
    partner = w.partner("people", Side.CRM, ann.id)
    assert partner is not None
    return ann.id, partner.id


@pytest.mark.parametrize(
    ("policy", "books_last", "winner"),
    [
        (ConflictPolicy.CRM_WINS, True, Side.CRM),
        (ConflictPolicy.CRM_WINS, False, Side.CRM),
        (ConflictPolicy.BOOKS_WINS, True, Side.BOOKS),
        (ConflictPolicy.BOOKS_WINS, False, Side.BOOKS),
        (ConflictPolicy.LATEST_WINS, True, Side.BOOKS),
        (ConflictPolicy.LATEST_WINS, False, Side.CRM),
    ],
)
def test_a_conflict_is_resolved_by_policy_and_recorded_with_both_values(
    build: BuildWorld, policy: ConflictPolicy, books_last: bool, winner: Side
) -> None:
    w = build(one_flow(people_flow(conflict=policy)))
    crm_id, books_id = _bound_pair(w)
    edits = [
        lambda: w.crm.edit("People", crm_id, {"Phone": "111", "Full_Name": "Ann C"}),
        lambda: w.books.edit("Contacts", books_id, {"Phone": "222", "EmailAddress": "a@b.test"}),
    ]
    for edit in edits if books_last else reversed(edits):
        w.advance()
        edit()

    report = w.sync()

    expected = "111" if winner is Side.CRM else "222"
    crm = w.crm.record("People", crm_id)
    books = w.books.record("Contacts", books_id)
    assert crm is not None
    assert books is not None
    assert crm.fields["Phone"] == books.fields["Phone"] == expected
    # Fields changed on one side only merge without a conflict.
    assert crm.fields["Full_Name"] == books.fields["Name"] == "Ann C"
    assert crm.fields["Email"] == books.fields["EmailAddress"] == "a@b.test"
    conflicts = [i for i in report.items if i.outcome is Outcome.CONFLICT]
    assert len(conflicts) == 1
    item = conflicts[0]
    assert {item.record_id, item.partner_id} == {crm_id, books_id}
    assert item.detail["conflicts"] == [
        {"field": "Phone", "crm": "111", "books": "222", "base": "100", "chosen": winner.value}
    ]
    assert "'111'" in item.reason
    assert "'222'" in item.reason
    assert policy.value in item.reason
    assert report.run_id is not None
    assert w.store.runs.items(report.run_id, Outcome.CONFLICT) == [item]
    assert w.mismatches("people") == []
    writes = w.writes()
    assert w.sync().items == []
    assert w.writes() == writes


def test_the_same_change_on_both_sides_is_no_conflict(build: BuildWorld) -> None:
    w = build(one_flow(people_flow(conflict=ConflictPolicy.CRM_WINS)))
    crm_id, books_id = _bound_pair(w)
    w.crm.edit("People", crm_id, {"Phone": "555"})
    w.books.edit("Contacts", books_id, {"Phone": "555"})
    writes = w.writes()

    report = w.sync()

    assert [i for i in report.items if i.outcome is Outcome.CONFLICT] == []
    assert w.writes() == writes
    assert w.sync().items == []
    assert w.writes() == writes


@pytest.mark.parametrize("policy", list(ConflictPolicy), ids=lambda p: p.value)
def test_a_value_the_server_trimmed_is_no_change_and_loses_no_edit(
    build: BuildWorld, policy: ConflictPolicy
) -> None:
    clock = TickingClock()
    crm = MemoryConnector("crm", clock=clock, normalize=None)  # keeps text as typed
    w = build(one_flow(people_flow(conflict=policy)), crm=crm, clock=clock)
    ann = w.crm.put("People", {"Full_Name": " Ann ", "Email": "ann@x.test"})
    w.sync()
    partner = w.partner("people", Side.CRM, ann.id)
    assert partner is not None
    assert partner.fields["Name"] == "Ann"  # the accounting system trimmed it
    w.advance()
    w.books.edit("Contacts", partner.id, {"Phone": "5"})
    w.advance()
    w.crm.edit("People", ann.id, {"Full_Name": "Zed"})

    report = w.sync()

    # Only the CRM changed the name; the trimmed copy on the other side is not a change.
    assert [i for i in report.items if i.outcome is Outcome.CONFLICT] == []
    crm_after = w.crm.record("People", ann.id)
    books_after = w.books.record("Contacts", partner.id)
    assert crm_after is not None
    assert books_after is not None
    assert crm_after.fields["Full_Name"] == books_after.fields["Name"] == "Zed"
    assert crm_after.fields["Phone"] == books_after.fields["Phone"] == "5"
