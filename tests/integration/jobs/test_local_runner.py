"""The in-process runner: coalescing, one job per integration at a time, schedules, state."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledgerbridge.bootstrap import App, bootstrap
from ledgerbridge.connectors.memory import MemoryConnector
from ledgerbridge.domain.config import Direction, ScheduleConfig
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import RunKind, RunStatus
from ledgerbridge.engine.model import SyncRequest, Window, WindowKind
from ledgerbridge.jobs.dispatch import Dispatcher, RecordChange
from ledgerbridge.jobs.local import Job, LocalRunner
from ledgerbridge.jobs.runner import runner_for
from ledgerbridge.recipes.starter import starter_config
from ledgerbridge.recipes.starter_seed import seed_starter
from ledgerbridge.settings import Settings
from ledgerbridge.store import IntegrationRow

WAIT = 10.0  # seconds any wait in these tests may take before it fails


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    application = bootstrap(Settings(data_dir=tmp_path / "data"))
    try:
        yield application
    finally:
        application.close()


def add_integration(
    app: App, name: str, *, schedule: ScheduleConfig | None = None, seed: int = 0
) -> IntegrationRow:
    """An integration over two in-memory systems kept in this process, seeded."""
    for side in ("crm", "books"):
        # An empty path keeps the system in memory only: no file between jobs.
        app.store.connections.add(f"{name}-{side}", "memory", {"path": ""}, {})
    config = starter_config(name, f"{name}-crm", f"{name}-books")
    if schedule is not None:
        config = config.model_copy(update={"schedule": schedule})
    row = app.store.integrations.create(config)
    crm, books = app.connector(f"{name}-crm"), app.connector(f"{name}-books")
    assert isinstance(crm, MemoryConnector)
    assert isinstance(books, MemoryConnector)
    seed_starter(crm, books, seed=seed, accounts=8)
    return row


class Recorder:
    """A perform function that records the jobs it is handed."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []
        self.lock = threading.Lock()

    def __call__(self, app: App, job: Job) -> None:
        with self.lock:
            self.jobs.append(job)


def wait_until(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {WAIT} s for {what}")
        time.sleep(0.01)


def test_the_runner_is_a_dispatcher(app: App) -> None:
    runner: Dispatcher = LocalRunner(app)
    assert runner is not None


def test_equal_sync_requests_waiting_are_coalesced(app: App) -> None:
    recorder = Recorder()
    runner = LocalRunner(app, perform=recorder)
    incremental = SyncRequest()
    full = SyncRequest(window=Window(WindowKind.FULL))
    for _ in range(3):
        runner.submit_sync(1, incremental)
    runner.submit_sync(1, full)
    runner.submit_sync(2, incremental)
    assert [(j.integration_id, j.request) for j in runner.waiting] == [
        (1, incremental),
        (1, full),
        (2, incremental),
    ]
    runner.run_until_idle()
    assert len(recorder.jobs) == 3
    assert runner.waiting == []
    # Once the waiting one has run, an equal request queues again.
    runner.submit_sync(1, incremental)
    assert len(runner.waiting) == 1


def test_record_changes_merge_per_integration(app: App) -> None:
    recorder = Recorder()
    runner = LocalRunner(app, perform=recorder)
    a = RecordChange("accounts", Side.CRM, "a")
    b = RecordChange("accounts", Side.CRM, "b")
    c = RecordChange("accounts", Side.BOOKS, "c")
    runner.submit_records(7, [a, b])
    runner.submit_records(7, [b, c, a])
    runner.submit_records(8, [a])
    runner.submit_records(8, [])
    runner.run_until_idle()
    assert [(j.integration_id, j.changes) for j in recorder.jobs] == [(7, [a, b, c]), (8, [a])]


def test_one_job_per_integration_at_a_time_others_in_parallel(app: App) -> None:
    active: Counter[int] = Counter()
    overlaps: list[int] = []
    done: list[int] = []
    other_started = threading.Event()
    lock = threading.Lock()

    def perform(app: App, job: Job) -> None:
        iid = job.integration_id
        with lock:
            active[iid] += 1
            if active[iid] > 1:
                overlaps.append(iid)
        try:
            if iid == 2:
                other_started.set()
            elif iid == 1 and not done:
                # The first job of integration 1 holds on until integration 2 runs beside it,
                # which proves integrations run in parallel while 1's other jobs wait.
                assert other_started.wait(WAIT), "integration 2 never ran beside integration 1"
        finally:
            with lock:
                active[iid] -= 1
                done.append(iid)

    runner = LocalRunner(app, workers=4, tick=None, perform=perform)
    for days in (1, 2, 3):
        runner.submit_sync(1, SyncRequest(window=Window(WindowKind.DAYS, days)))
    runner.submit_sync(2, SyncRequest())
    runner.start()
    try:
        runner.run_until_idle(timeout=WAIT)
    finally:
        assert runner.stop(timeout=WAIT)
    assert overlaps == []
    assert Counter(done) == {1: 3, 2: 1}


def test_a_failing_job_does_not_stop_the_runner(app: App) -> None:
    seen: list[int] = []

    def perform(app: App, job: Job) -> None:
        seen.append(job.integration_id)
        if job.integration_id == 1:
            raise RuntimeError("boom")

    runner = LocalRunner(app, workers=1, tick=None, perform=perform)
    runner.submit_sync(1, SyncRequest())
    runner.submit_sync(2, SyncRequest())
    runner.start()
    try:
        runner.run_until_idle(timeout=WAIT)
    finally:
        assert runner.stop(timeout=WAIT)
    assert seen == [1, 2]


def test_real_jobs_sync_and_record_changes(app: App) -> None:
    row = add_integration(app, "acme")
    runner = LocalRunner(app, workers=2, tick=None)
    runner.start()
    try:
        runner.submit_sync(row.id, SyncRequest())
        runner.run_until_idle(timeout=WAIT)
        crm = app.connector("acme-crm")
        assert isinstance(crm, MemoryConnector)
        account = crm.put("Accounts", {"Account_Name": "Zebra Works", "Email": "z@example.com"})
        runner.submit_records(row.id, [RecordChange("accounts", Side.CRM, account.id)])
        runner.run_until_idle(timeout=WAIT)
    finally:
        assert runner.stop(timeout=WAIT)
    runs = app.store.runs.list(row.id)
    assert [r.kind for r in reversed(runs)] == [RunKind.MANUAL, RunKind.SINGLE]
    assert runs[0].status is RunStatus.SUCCEEDED
    assert runs[1].status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL)
    assert app.store.bindings.get_many(row.id, "accounts", Side.CRM, [account.id])


def schedule_every(minutes: int, **extra: object) -> ScheduleConfig:
    return ScheduleConfig.model_validate({"enabled": True, "interval_minutes": minutes, **extra})


def test_due_schedules_are_queued_except_paused_and_disabled(app: App) -> None:
    active = add_integration(
        app, "active", schedule=schedule_every(30, direction=Direction.CRM_TO_BOOKS.value)
    )
    paused = add_integration(app, "paused", schedule=schedule_every(30))
    disabled = add_integration(app, "disabled", schedule=schedule_every(30))
    add_integration(app, "unscheduled")
    app.store.integrations.set_state("paused", "paused")
    app.store.integrations.set_state("disabled", "disabled")
    latest = max(r.updated_at for r in app.store.integrations.list())
    now = latest + timedelta(minutes=31)

    runner = LocalRunner(app, tick=None)
    assert runner.enqueue_due(latest + timedelta(minutes=29)) == []
    assert runner.enqueue_due(now) == [active.id]
    runner.run_until_idle()
    (run,) = app.store.runs.list(active.id)
    assert run.kind is RunKind.SCHEDULED
    assert run.request["direction"] == Direction.CRM_TO_BOOKS.value
    assert app.store.runs.list(paused.id) == []
    assert app.store.runs.list(disabled.id) == []
    # The schedule now counts from that run's start.
    assert runner.enqueue_due(run.started_at + timedelta(minutes=29)) == []
    assert runner.enqueue_due(run.started_at + timedelta(minutes=30)) == [active.id]


def test_queued_jobs_of_a_paused_integration_are_skipped(app: App) -> None:
    row = add_integration(app, "acme")
    runner = LocalRunner(app, tick=None)
    runner.submit_sync(row.id, SyncRequest(kind=RunKind.SCHEDULED))
    app.store.integrations.set_state("acme", "paused")
    runner.submit_sync(row.id, SyncRequest(kind=RunKind.MANUAL))
    runner.submit_records(row.id, [RecordChange("accounts", Side.CRM, "x")])
    runner.run_until_idle()
    assert app.store.runs.list(row.id) == []
    app.store.integrations.set_state("acme", "active")
    runner.submit_sync(row.id, SyncRequest())
    runner.run_until_idle()
    assert [r.kind for r in app.store.runs.list(row.id)] == [RunKind.MANUAL]


def test_the_scheduler_thread_queues_due_runs(app: App) -> None:
    row = add_integration(app, "acme", schedule=schedule_every(60))
    later: datetime = row.updated_at + timedelta(hours=2)
    recorder = Recorder()
    runner = LocalRunner(
        app, tick=timedelta(milliseconds=20), clock=lambda: later, perform=recorder
    )
    runner.start()
    try:
        wait_until(lambda: recorder.jobs, "the scheduled run")
    finally:
        assert runner.stop(timeout=WAIT)
    job = recorder.jobs[0]
    assert job.integration_id == row.id
    assert job.request is not None
    assert job.request.kind is RunKind.SCHEDULED


def test_on_sqlite_the_installation_runs_jobs_in_process(app: App) -> None:
    assert isinstance(runner_for(app), LocalRunner)


def test_a_run_stopped_by_a_daily_limit_is_queued_again_at_the_reset(app: App) -> None:
    from ledgerbridge.domain.runs import RunCounts
    from ledgerbridge.engine.model import RunReport

    reset = datetime(2026, 11, 23, tzinfo=UTC)
    calls: list[Job] = []

    def waits_first_time(application: App, job: Job) -> RunReport:
        calls.append(job)
        status = RunStatus.WAITING if len(calls) == 1 else RunStatus.SUCCEEDED
        return RunReport(
            run_id=None,
            status=status,
            counts=RunCounts(),
            resume_at=reset if status is RunStatus.WAITING else None,
        )

    runner = LocalRunner(app, perform=waits_first_time)
    runner.submit_sync(7, SyncRequest())
    runner.run_until_idle()
    assert runner.deferred == [(reset, 7, SyncRequest())]
    assert runner.enqueue_due(reset - timedelta(seconds=1)) == []
    assert runner.enqueue_due(reset + timedelta(seconds=1)) == [7]
    runner.run_until_idle()
    assert len(calls) == 2 and runner.deferred == []
