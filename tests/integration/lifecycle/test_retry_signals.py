"""A run tells its runner whether to try again, and when a waiting run may go on."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerbridge.bootstrap import App
from ledgerbridge.connectors.faults import FaultPlan
from ledgerbridge.connectors.memory import MemoryConnector, TickingClock
from ledgerbridge.domain.errors import RetriableError
from ledgerbridge.domain.runs import RunStatus
from ledgerbridge.engine.model import SyncRequest
from ledgerbridge.jobs import work
from ledgerbridge.settings import Settings
from tests.integration.lifecycle.conftest import BuildWorld


def test_a_transient_failure_marks_the_run_retriable(build: BuildWorld) -> None:
    w = build()
    w.crm.put("Accounts", {"Account_Name": "Acme"})
    w.books.faults = FaultPlan(fail_next=50)  # every call fails for a while: 503s
    report = w.sync()
    assert report.status is RunStatus.FAILED
    assert report.retriable and report.resume_at is None
    w.books.faults = None
    assert w.sync().status is RunStatus.SUCCEEDED


def test_a_spent_daily_limit_says_when_the_run_may_go_on(build: BuildWorld) -> None:
    clock = TickingClock()
    books = MemoryConnector("books", clock=clock, daily_budget=2)
    w = build(books=books, clock=clock)
    for n in range(5):
        w.crm.put("Accounts", {"Account_Name": f"A{n}"})
    w.engine.budget_reserve = 0
    report = w.sync()
    assert report.status is RunStatus.WAITING
    assert report.resume_at is not None and not report.retriable


def test_the_job_function_raises_for_a_retriable_run_so_the_queue_retries(
    build: BuildWorld, tmp_path: Path
) -> None:
    w = build()
    w.crm.put("Accounts", {"Account_Name": "Acme"})
    w.books.faults = FaultPlan(fail_next=50)
    # After a job the runner saves in-memory systems to files under the data directory.
    app = App(settings=Settings(data_dir=tmp_path), store=w.store, engine=w.engine)
    app.factories["crm"] = lambda row, app: w.crm
    app.factories["books"] = lambda row, app: w.books
    with pytest.raises(RetriableError):
        work.run_sync(app, w.integration.id, SyncRequest())
    w.books.faults = None
    report = work.run_sync(app, w.integration.id, SyncRequest())
    assert report is not None and report.status is RunStatus.SUCCEEDED
