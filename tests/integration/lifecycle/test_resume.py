"""Runs stopped part-way (a crash, a spent daily budget) go on from their checkpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledgerbridge.connectors.base import Capabilities
from ledgerbridge.connectors.faults import FaultPlan, SimulatedCrash
from ledgerbridge.connectors.memory import MemoryConnector, TickingClock
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import RunStatus
from ledgerbridge.engine.model import SyncRequest, Window, WindowKind
from tests.integration.lifecycle.conftest import BuildWorld
from tests.support.flows import one_flow, people_flow
from tests.support.world import World

SMALL = Capabilities(page_size=10, batch_size=5, lookup_batch=50, idempotency=False, webhooks=False)
PEOPLE = 60
FULL = SyncRequest(window=Window(WindowKind.FULL))


class Reads:
    """Counts the records a run reads from each side's change feed."""

    def __init__(self) -> None:
        self.read: dict[Side, int] = {Side.CRM: 0, Side.BOOKS: 0}

    def flow_started(self, flow: str, side: Side) -> None:
        return None

    def records_done(self, flow: str, side: Side, count: int) -> None:
        self.read[side] += count

    def flow_finished(self, flow: str) -> None:
        return None


def _world(build: BuildWorld, **books_options: object) -> World:
    clock = TickingClock()
    crm = MemoryConnector("crm", clock=clock, capabilities=SMALL)
    books = MemoryConnector("books", clock=clock, capabilities=SMALL, **books_options)  # type: ignore[arg-type]
    w = build(one_flow(people_flow(match=False)), crm=crm, books=books, clock=clock)
    for n in range(PEOPLE):
        w.crm.put("People", {"Full_Name": f"P{n:02}", "Phone": str(n)})
        w.advance(timedelta(seconds=1))
    return w


def _run(w: World, request: SyncRequest) -> tuple[RunStatus, Reads]:
    reads = Reads()
    w.advance(timedelta(seconds=30))
    report = w.engine.run(w.integration, w.systems, request, reads)
    return report.status, reads


def test_an_interrupted_full_history_resumes_from_its_checkpoint(build: BuildWorld) -> None:
    w = _world(build)
    w.books.faults = FaultPlan(crash_after_writes=6)  # 30 of 60 created, then the process dies
    with pytest.raises(SimulatedCrash):
        _run(w, FULL)
    checkpoint = w.store.checkpoints.get(w.integration.id, "people", Side.CRM, "full")
    assert checkpoint is not None
    assert w.store.cursors.get(w.integration.id, "people", Side.CRM) is None

    w.books.faults = None
    status, reads = _run(w, FULL)

    assert status is RunStatus.SUCCEEDED
    assert 0 < reads.read[Side.CRM] <= PEOPLE - 20
    assert w.sizes("people") == (PEOPLE, PEOPLE)
    assert w.binding_problems("people") == []
    assert w.mismatches("people") == []
    assert w.store.checkpoints.all(w.integration.id) == {}
    assert w.store.cursors.get(w.integration.id, "people", Side.CRM) is not None

    # With no checkpoint left, the next full history reads everything again.
    status, reads = _run(w, FULL)
    assert status is RunStatus.SUCCEEDED
    assert reads.read[Side.CRM] >= PEOPLE


def test_a_spent_daily_budget_waits_and_a_run_after_the_reset_converges(
    build: BuildWorld,
) -> None:
    w = _world(build, daily_budget=10)
    w.engine.budget_reserve = 0  # spend it all: the connector itself says when it is gone

    status, _reads = _run(w, SyncRequest())

    assert status is RunStatus.WAITING
    runs = w.store.runs.list(w.integration.id)
    assert runs[0].status is RunStatus.WAITING
    assert runs[0].error is not None
    assert "daily limit of 10 API calls" in runs[0].error
    assert "the run resumes after 2025-01-02 00:00 UTC" in runs[0].error
    assert w.store.cursors.get(w.integration.id, "people", Side.CRM) is None
    done = w.books.count("Contacts")
    assert 0 < done < PEOPLE
    assert w.store.checkpoints.get(w.integration.id, "people", Side.CRM, "since_last")

    w.books.reset_budget()
    w.books.daily_budget = None
    status, reads = _run(w, SyncRequest())

    assert status is RunStatus.SUCCEEDED
    assert reads.read[Side.CRM] < PEOPLE
    assert w.sizes("people") == (PEOPLE, PEOPLE)
    assert w.binding_problems("people") == []
    assert w.mismatches("people") == []


def test_a_flow_is_not_started_when_a_budget_is_down_to_the_reserve(
    build: BuildWorld,
) -> None:
    w = _world(build, daily_budget=60)
    w.engine.budget_reserve = 50
    w.books.spent_today = 15  # 45 left: below the reserve before anything starts

    status, reads = _run(w, SyncRequest())

    assert status is RunStatus.WAITING
    assert reads.read == {Side.CRM: 0, Side.BOOKS: 0}
    assert w.books.count("Contacts") == 0
    (run,) = w.store.runs.list(w.integration.id)
    assert run.error is not None
    assert "books has 45 API calls left today, fewer than the 50 kept" in run.error
    # The reserve is there for single records: a CRM button still works.
    single = w.sync_record("people", Side.CRM, w.crm.all("People")[0].id)
    assert single.status is RunStatus.SUCCEEDED
    assert w.books.count("Contacts") == 1

    w.books.reset_budget()
    assert _run(w, SyncRequest())[0] is RunStatus.SUCCEEDED
    assert w.sizes("people") == (PEOPLE, PEOPLE)
