"""The queued runner on the machine's PostgreSQL with real ``ledgerbridge worker`` processes.

Each test gets a fresh schema (the worker finds it through the URL's search_path option),
in-memory systems saved to files that every process opens, and at least two workers. Workers
are always stopped in ``finally``; every wait is bounded and says what it waited for.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import procrastinate
import psycopg
import pytest
from psycopg.rows import dict_row

from ledgerbridge.bootstrap import App, bootstrap
from ledgerbridge.connectors import memory_file
from ledgerbridge.connectors.memory import MemoryConnector
from ledgerbridge.domain.config import ScheduleConfig
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import RunKind, RunStatus, RunSummary
from ledgerbridge.engine.model import SyncRequest, Window, WindowKind
from ledgerbridge.jobs import tasks, work
from ledgerbridge.jobs.dispatch import RecordChange
from ledgerbridge.jobs.queue import (
    QueueDispatcher,
    QueueRunner,
    apply_schema,
    conninfo,
    make_queue,
    retry_stalled,
)
from ledgerbridge.jobs.runner import runner_for
from ledgerbridge.recipes.starter import starter_config
from ledgerbridge.recipes.starter_seed import seed_starter
from ledgerbridge.settings import Settings
from tests.fixtures.db import create_pg_schema

pytestmark = pytest.mark.postgres

WAIT = 90.0  # seconds a whole batch of jobs may take before the test fails
FINISHED = {RunStatus.SUCCEEDED, RunStatus.PARTIAL}


@dataclass
class Site:
    """One installation: a database schema, a data directory, and the worker processes."""

    url: str
    data_dir: Path
    env: dict[str, str]
    logs: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir, database_url=self.url)

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "ledgerbridge", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, f"ledgerbridge {' '.join(args)}: {done.stderr}"
        return done.stdout

    def start_worker(self, concurrency: int = 2) -> subprocess.Popen[bytes]:
        n = len(self.workers)
        log = (self.logs / f"worker-{n}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "ledgerbridge", "worker", "--concurrency", str(concurrency)],
            env={**self.env, "PGAPPNAME": f"lb-worker-{n}"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.workers.append(process)
        return process

    def stop_workers(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.workers:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)

    def worker_logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.logs.glob("worker-*.log"))
        )

    def sql(self, query: str, **params: Any) -> list[dict[str, Any]]:
        with psycopg.connect(conninfo(self.url), autocommit=True, row_factory=dict_row) as conn:
            cursor = conn.execute(query.encode(), params)
            return cursor.fetchall() if cursor.description else []

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            dead = [p.pid for p in self.workers if p.poll() not in (None, -signal.SIGKILL)]
            if dead or time.monotonic() > deadline:
                jobs = self.sql("SELECT task_name, status, attempts FROM procrastinate_jobs")
                pytest.fail(
                    f"waited {timeout} s for {what} (workers exited: {dead}); jobs: {jobs}\n"
                    f"{self.worker_logs()}"
                )
            time.sleep(0.1)

    def jobs_done(self) -> bool:
        rows = self.sql(
            "SELECT count(*) AS n FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
        )
        return bool(rows[0]["n"] == 0)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    url, drop = create_pg_schema()
    logs = tmp_path / "logs"
    logs.mkdir()
    env = {
        **os.environ,
        "LEDGERBRIDGE_DATABASE_URL": url,
        "LEDGERBRIDGE_DATA_DIR": str(tmp_path / "data"),
        "LEDGERBRIDGE_WORKER_HEARTBEAT_SECONDS": "0.5",
        "LEDGERBRIDGE_WORKER_STALLED_SECONDS": "6",
        "LEDGERBRIDGE_LOG_LEVEL": "INFO",
    }
    built = Site(url, tmp_path / "data", env, logs)
    try:
        yield built
    finally:
        try:
            built.stop_workers()
        finally:
            drop()


@pytest.fixture
def app(site: Site) -> Iterator[App]:
    application = bootstrap(site.settings())
    queue = make_queue(site.settings())
    with queue.open():
        assert apply_schema(queue)
    try:
        yield application
    finally:
        application.close()


def test_db_upgrade_applies_the_queue_schema_once(site: Site) -> None:
    assert "job queue tables created" in site.cli("db", "upgrade")
    assert "job queue tables already present" in site.cli("db", "upgrade")
    tables = site.sql(
        "SELECT count(*) AS n FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name = 'procrastinate_jobs'"
    )
    assert tables == [{"n": 1}]


def seeded_integration(app: App, name: str, seed: int, schedule: ScheduleConfig) -> int:
    """An integration over two in-memory systems saved to files the workers read."""
    for side in ("crm", "books"):
        app.store.connections.add(f"{name}-{side}", "memory", {}, {})
    config = starter_config(name, f"{name}-crm", f"{name}-books")
    row = app.store.integrations.create(config.model_copy(update={"schedule": schedule}))
    crm, books = app.connector(f"{name}-crm"), app.connector(f"{name}-books")
    assert isinstance(crm, MemoryConnector)
    assert isinstance(books, MemoryConnector)
    seed_starter(crm, books, seed=seed, accounts=10)
    app.release(row)
    return row.id


def overlapping(runs: list[RunSummary]) -> list[tuple[int, int]]:
    """Pairs of runs whose [started_at, finished_at] intersect."""
    ordered = sorted(runs, key=lambda r: r.started_at)
    pairs = []
    for a, b in itertools.pairwise(ordered):
        assert a.finished_at is not None, f"run {a.id} never finished"
        if a.finished_at > b.started_at:
            pairs.append((a.id, b.id))
    return pairs


def test_twenty_scheduled_integrations_complete_on_two_workers_one_run_at_a_time(
    site: Site, app: App
) -> None:
    every = ScheduleConfig(enabled=True, interval_minutes=30)
    ids = [seeded_integration(app, f"org{i:02d}", i, every) for i in range(20)]
    queue = make_queue(site.settings())
    with queue.open():
        dispatcher = QueueDispatcher(queue)
        full = SyncRequest(window=Window(WindowKind.FULL))
        for iid in ids:
            # Two equal requests while the first waits: one job.
            dispatcher.submit_sync(iid, full)
            dispatcher.submit_sync(iid, full)
        # The minute tick, as the periodic task defers it, an hour from now: all are due.
        tick = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
        queue.configure_task(tasks.SCHEDULES_TASK).defer(timestamp=tick)
    waiting = site.sql("SELECT task_name, count(*) AS n FROM procrastinate_jobs GROUP BY 1")
    assert {r["task_name"]: r["n"] for r in waiting} == {
        tasks.SYNC_TASK: 20,
        tasks.SCHEDULES_TASK: 1,
    }

    site.start_worker(concurrency=3)
    site.start_worker(concurrency=3)
    sync_jobs = "SELECT count(*) AS n FROM procrastinate_jobs WHERE task_name = %(task)s"
    site.wait_for(
        lambda: site.sql(sync_jobs, task=tasks.SYNC_TASK)[0]["n"] == 40 and site.jobs_done(),
        "the schedules tick and 40 sync jobs to finish",
    )

    # The workers' own minute tick may have added a schedules job; it finds nothing due.
    statuses = site.sql(
        "SELECT task_name, status, count(*) AS n FROM procrastinate_jobs GROUP BY 1, 2"
    )
    assert {(r["task_name"], r["status"]) for r in statuses} == {
        (tasks.SYNC_TASK, "succeeded"),
        (tasks.SCHEDULES_TASK, "succeeded"),
    }
    for iid in ids:
        runs = app.store.runs.list(iid)
        assert sorted(r.kind for r in runs) == sorted([RunKind.MANUAL, RunKind.SCHEDULED])
        assert {r.status for r in runs} <= FINISHED, [(r.id, r.status, r.error) for r in runs]
        assert overlapping(runs) == [], f"integration {iid} ran twice at once"


def sync_in_process(tmp_path: Path, seed: int) -> dict[str, int]:
    """Records per system and module after one uninterrupted run of the same seed."""
    app = bootstrap(Settings(data_dir=tmp_path / "reference"))
    try:
        iid = seeded_integration(app, "reference", seed, ScheduleConfig())
        row = app.store.integrations.get_by_id(iid)
        report = app.engine.run(row, app.systems(row), SyncRequest())
        assert report.status in FINISHED, report.error
        app.release(row)
        return holdings(app.settings.data_dir, "reference")
    finally:
        app.close()


def holdings(data_dir: Path, name: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for side in ("crm", "books"):
        system = memory_file.load(data_dir / "memory" / f"{name}-{side}.pickle", side)
        for module in ("Accounts", "Contacts", "Products", "Items", "Invoices"):
            out[f"{side}.{module}"] = system.count(module)
    return out


def test_a_killed_worker_has_its_job_retried_and_finished_without_duplicates(
    site: Site, app: App, tmp_path: Path
) -> None:
    iid = seeded_integration(app, "acme", 7, ScheduleConfig())
    expected = sync_in_process(tmp_path, 7)
    for _ in range(2):
        site.start_worker(concurrency=2)

    # The test holds the cursors table, so the run starts and then waits mid-job.
    blocker = psycopg.connect(conninfo(site.url))
    try:
        blocker.execute("LOCK TABLE cursors IN ACCESS EXCLUSIVE MODE")
        queue = make_queue(site.settings())
        with queue.open():
            QueueDispatcher(queue).submit_sync(iid, SyncRequest())

        def holder() -> str | None:
            rows = site.sql(
                "SELECT application_name FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND application_name LIKE 'lb-worker-%%'"
            )
            return str(rows[0]["application_name"]) if rows else None

        site.wait_for(lambda: holder() is not None, "a worker to start the run")
        (running,) = app.store.runs.list(iid)
        assert running.status is RunStatus.RUNNING
        name = holder()
        assert name is not None
        victim = site.workers[int(name.rsplit("-", 1)[1])]
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=15)
    finally:
        blocker.rollback()
        blocker.close()

    site.wait_for(site.jobs_done, "the job of the killed worker to be retried and finish")
    (job,) = site.sql(
        "SELECT status, attempts FROM procrastinate_jobs WHERE task_name = %(task)s",
        task=tasks.SYNC_TASK,
    )
    assert job["status"] == "succeeded"
    assert job["attempts"] >= 1, "the job finished without being retried"
    runs = app.store.runs.list(iid)
    assert [r.status for r in runs][1:] == [RunStatus.INTERRUPTED]
    assert runs[0].status in FINISHED
    assert overlapping(runs) == []
    assert holdings(site.data_dir, "acme") == expected


def test_record_changes_deferred_while_one_job_waits_are_merged_into_it(
    site: Site, app: App
) -> None:
    a = RecordChange("accounts", Side.CRM, "a")
    b = RecordChange("accounts", Side.CRM, "b")
    c = RecordChange("accounts", Side.BOOKS, "c")
    queue = make_queue(site.settings())
    with queue.open():
        dispatcher = QueueDispatcher(queue)
        dispatcher.submit_records(5, [a, b])
        dispatcher.submit_records(5, [b, c])
        dispatcher.submit_records(6, [a])
        dispatcher.submit_sync(5, SyncRequest())
    rows = site.sql(
        "SELECT args, lock, queueing_lock FROM procrastinate_jobs "
        "WHERE task_name = %(task)s ORDER BY id",
        task=tasks.RECORDS_TASK,
    )
    assert [r["lock"] for r in rows] == ["integration-5", "integration-6"]
    assert [r["queueing_lock"] for r in rows] == ["records-5", "records-6"]
    waiting = [work.change_from_dict(c) for c in rows[0]["args"]["changes"]]
    # The job function syncs each record once, in first-seen order.
    assert work.merge_changes(waiting) == [a, b, c]


def test_a_stalled_job_gives_way_to_an_equal_one_already_waiting(site: Site, app: App) -> None:
    a = RecordChange("accounts", Side.CRM, "a")
    b = RecordChange("accounts", Side.CRM, "b")
    queue = make_queue(site.settings())
    with queue.open():
        dispatcher = QueueDispatcher(queue)
        dispatcher.submit_records(5, [a])
        # A worker takes the job and dies: its heartbeat stops an hour ago.
        (worker,) = site.sql("SELECT procrastinate_register_worker_v1() AS id")
        site.sql("SELECT id FROM procrastinate_fetch_job_v2(NULL, %(worker)s)", worker=worker["id"])
        site.sql(
            "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' "
            "WHERE id = %(worker)s",
            worker=worker["id"],
        )
        # Meanwhile more changes of the same integration wait under the same queueing lock.
        dispatcher.submit_records(5, [b])
    assert asyncio.run(_retry(queue)) == 1
    rows = site.sql("SELECT status, args FROM procrastinate_jobs ORDER BY id")
    assert [r["status"] for r in rows] == ["failed", "todo"]
    waiting = [work.change_from_dict(c) for c in rows[1]["args"]["changes"]]
    assert work.merge_changes(waiting) == [b, a]


async def _retry(queue: procrastinate.App) -> int:
    async with queue.open_async():
        return await retry_stalled(queue, 3)


def test_on_postgresql_the_installation_queues_its_jobs(site: Site, app: App) -> None:
    runner = runner_for(app)
    assert isinstance(runner, QueueRunner)
    runner.start()
    try:
        runner.submit_sync(9, SyncRequest())
        runner.submit_records(9, [RecordChange("accounts", Side.CRM, "a")])
    finally:
        assert runner.stop()
    rows = site.sql("SELECT task_name, lock FROM procrastinate_jobs ORDER BY id")
    assert rows == [
        {"task_name": tasks.SYNC_TASK, "lock": "integration-9"},
        {"task_name": tasks.RECORDS_TASK, "lock": "integration-9"},
    ]


def test_finished_jobs_older_than_a_week_are_pruned(site: Site, app: App) -> None:
    queue = make_queue(site.settings())
    with queue.open():
        dispatcher = QueueDispatcher(queue)
        for iid in (1, 2, 3):
            dispatcher.submit_sync(iid, SyncRequest())
    old, recent, waiting = (
        r["id"] for r in site.sql("SELECT id FROM procrastinate_jobs ORDER BY id")
    )
    for job_id in (old, recent):
        site.sql("UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = %(id)s", id=job_id)
    site.sql(
        "UPDATE procrastinate_events SET at = now() - interval '8 days' WHERE job_id = %(id)s",
        id=old,
    )

    async def prune() -> None:
        async with queue.open_async():
            await tasks.prune_finished(queue)

    asyncio.run(prune())
    left = {r["id"] for r in site.sql("SELECT id FROM procrastinate_jobs")}
    assert left == {recent, waiting}
