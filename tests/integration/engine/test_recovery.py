"""Runs that stop half way: the cursor waits, a crashed run is marked, a re-run converges."""

from __future__ import annotations

import pytest

from ledgerbridge.connectors.base import Capabilities
from ledgerbridge.connectors.faults import FaultPlan, SimulatedCrash
from ledgerbridge.connectors.memory import MemoryConnector, TickingClock
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import RunStatus
from ledgerbridge.store.runs import INTERRUPTED_ERROR
from tests.integration.engine.conftest import BuildWorld
from tests.support.faults import FailOnCall
from tests.support.flows import one_flow, people_flow
from tests.support.world import World

# One record per write call and no idempotency keys: only the bindings prevent duplicates.
SMALL = Capabilities(page_size=50, batch_size=1, lookup_batch=50, idempotency=False, webhooks=False)


def _world(build: BuildWorld) -> World:
    clock = TickingClock()
    crm = MemoryConnector("crm", clock=clock, capabilities=SMALL)
    books = MemoryConnector("books", clock=clock, capabilities=SMALL)
    return build(one_flow(people_flow(match=False)), crm=crm, books=books, clock=clock)


def test_a_retriable_error_mid_flow_leaves_the_cursor_and_a_rerun_converges(
    build: BuildWorld,
) -> None:
    w = _world(build)
    for n in range(3):
        w.crm.put("People", {"Full_Name": f"P{n}", "Phone": str(n)})
    w.sync()
    cursor = w.store.cursors.get(w.integration.id, "people", Side.CRM)
    assert cursor is not None
    people = [w.crm.put("People", {"Full_Name": f"N{n}"}) for n in range(3)]
    w.crm.edit("People", "1", {"Phone": "changed"})
    w.books.faults = FailOnCall(method="create_many", nth=2)

    failed = w.sync()

    assert failed.status is RunStatus.FAILED
    assert failed.error is not None
    assert "503" in failed.error
    assert failed.run_id is not None
    assert w.store.runs.get(failed.run_id).status is RunStatus.FAILED
    assert w.store.cursors.get(w.integration.id, "people", Side.CRM) == cursor
    # The create that succeeded before the error was bound at once.
    assert w.partner("people", Side.CRM, people[0].id) is not None
    assert w.partner("people", Side.CRM, people[1].id) is None

    w.books.faults = None
    again = w.sync()

    assert again.status is RunStatus.SUCCEEDED
    assert w.sizes("people") == (6, 6)
    assert w.binding_problems("people") == []
    assert w.mismatches("people") == []
    moved = w.store.cursors.get(w.integration.id, "people", Side.CRM)
    assert moved is not None
    assert moved > cursor


@pytest.mark.parametrize("crash_after", [1, 2, 3, 4, 5])
def test_a_crashed_run_is_marked_interrupted_and_the_rerun_duplicates_nothing(
    build: BuildWorld, crash_after: int
) -> None:
    w = _world(build)
    for n in range(3):
        w.crm.put("People", {"Full_Name": f"C{n}"})
        w.books.put("Contacts", {"Name": f"B{n}"})
    plan = FaultPlan(crash_after_writes=crash_after)
    w.crm.faults = w.books.faults = plan

    with pytest.raises(SimulatedCrash):
        w.sync()

    running = w.store.runs.running(w.integration.id)
    assert running is not None
    assert w.store.cursors.get(w.integration.id, "people", Side.CRM) is None

    w.crm.faults = w.books.faults = None
    report = w.sync()

    assert report.status is RunStatus.SUCCEEDED
    crashed = w.store.runs.get(running.id)
    assert crashed.status is RunStatus.INTERRUPTED
    assert crashed.error == INTERRUPTED_ERROR
    assert w.sizes("people") == (6, 6)
    assert w.binding_problems("people") == []
    assert w.mismatches("people") == []
