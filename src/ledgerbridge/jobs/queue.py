"""The queued runner for the scaled-out layout: Procrastinate on the PostgreSQL state database.

Jobs of one integration share the lock ``integration-<id>``, so at most one of them runs at a
time across every worker. A sync request waits under a queueing lock named for the integration
and the request, so an equal request deferred while one waits is coalesced into it; record
changes wait under ``records-<id>``, and changes deferred while that job waits are merged into
its arguments. A job whose worker died (no heartbeat for ``worker_stalled_seconds``) is put
back in the queue by any live worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any

import procrastinate
import sqlalchemy as sa
from procrastinate import exceptions
from procrastinate.jobs import Job, Status
from procrastinate.types import JSONValue

from ledgerbridge.bootstrap import App
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.engine.model import SyncRequest
from ledgerbridge.jobs import tasks, work
from ledgerbridge.jobs.dispatch import RecordChange
from ledgerbridge.settings import Settings

log = logging.getLogger(__name__)

_MERGE_CHANGES = """
UPDATE procrastinate_jobs
   SET args = jsonb_set(
           args, '{changes}', (args -> 'changes') || (%(extra)s::jsonb -> 'changes')
       )
 WHERE queueing_lock = %(queueing_lock)s AND status = 'todo'
RETURNING id
"""

_SCHEMA_PRESENT = "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"


def is_postgres(url: str) -> bool:
    return sa.make_url(url).get_backend_name() == "postgresql"


def conninfo(url: str) -> str:
    """A libpq connection string for the SQLAlchemy ``url``, its options (search_path) kept."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError(
            "the job queue needs PostgreSQL: set LEDGERBRIDGE_DATABASE_URL to a "
            "postgresql+psycopg:// URL (the embedded SQLite default runs jobs in-process)"
        )
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def make_queue(settings: Settings) -> procrastinate.App:
    """A Procrastinate app on the state database with ledgerbridge's tasks (not yet opened)."""
    connector = procrastinate.PsycopgConnector(conninfo=conninfo(settings.db_url))
    queue = procrastinate.App(connector=connector)
    queue.add_tasks_from(tasks.blueprint, namespace="")
    return queue


def apply_schema(queue: procrastinate.App) -> bool:
    """Create Procrastinate's tables unless they exist; True when it created them."""
    sync = queue.connector.get_sync_connector()
    row = sync.execute_query_one(query=_SCHEMA_PRESENT)
    if row["present"]:
        return False
    queue.schema_manager.apply_schema()
    return True


def sync_lock(integration_id: int, request: SyncRequest) -> str:
    body = json.dumps(work.request_to_dict(request), sort_keys=True)
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    return f"sync-{integration_id}-{digest}"


def records_lock(integration_id: int) -> str:
    return f"records-{integration_id}"


def integration_lock(integration_id: int) -> str:
    return f"integration-{integration_id}"


class QueueDispatcher:
    """A :class:`~ledgerbridge.jobs.dispatch.Dispatcher` that defers Procrastinate jobs.

    ``queue`` must be open (``queue.open()`` in a synchronous process; a worker's is).
    """

    # A waiting record job can start between a refused defer and the merge; try again then.
    _ATTEMPTS = 5

    def __init__(self, queue: procrastinate.App) -> None:
        self.queue = queue

    def submit_sync(self, integration_id: int, request: SyncRequest) -> None:
        deferrer = self.queue.configure_task(
            tasks.SYNC_TASK,
            lock=integration_lock(integration_id),
            queueing_lock=sync_lock(integration_id, request),
        )
        with contextlib.suppress(exceptions.AlreadyEnqueued):
            deferrer.defer(integration_id=integration_id, request=work.request_to_dict(request))

    def submit_records(self, integration_id: int, changes: Sequence[RecordChange]) -> None:
        if not changes:
            return
        payload: list[JSONValue] = [
            dict(work.change_to_dict(c)) for c in work.merge_changes(changes)
        ]
        for _ in range(self._ATTEMPTS):
            try:
                self.queue.configure_task(
                    tasks.RECORDS_TASK,
                    lock=integration_lock(integration_id),
                    queueing_lock=records_lock(integration_id),
                ).defer(integration_id=integration_id, changes=payload)
                return
            except exceptions.AlreadyEnqueued:
                if self._merge(integration_id, payload):
                    return
        raise RuntimeError(
            f"could not queue {len(payload)} record changes of integration {integration_id} "
            f"after {self._ATTEMPTS} attempts"
        )

    def _merge(self, integration_id: int, payload: list[JSONValue]) -> bool:
        """Append to the waiting record job's changes; False when none waits any more."""
        sync = self.queue.connector.get_sync_connector()
        rows = sync.execute_query_all(
            query=_MERGE_CHANGES,
            extra={"changes": payload},
            queueing_lock=records_lock(integration_id),
        )
        return bool(rows)


async def retry_stalled(queue: procrastinate.App, stalled_seconds: float) -> int:
    """Put the jobs of dead workers back in the queue; returns how many were handled.

    When an equal job already waits (the same queueing lock), the dead one is marked failed
    instead (record changes are first merged into the waiting job), which frees its lock.
    """
    manager = queue.job_manager
    handled = 0
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_seconds):
        try:
            await manager.retry_job(job)
        except exceptions.UniqueViolation:
            await _give_way(queue, job)
        log.warning("job %s (%s) of a dead worker queued again", job.id, job.task_name)
        handled += 1
    return handled


async def _give_way(queue: procrastinate.App, job: Job) -> None:
    if job.task_name == tasks.RECORDS_TASK and job.queueing_lock is not None:
        await queue.connector.execute_query_all_async(
            query=_MERGE_CHANGES,
            extra={"changes": job.task_kwargs.get("changes", [])},
            queueing_lock=job.queueing_lock,
        )
    await queue.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)


async def _watch_stalled(queue: procrastinate.App, stalled_seconds: float) -> None:
    while True:
        try:
            await retry_stalled(queue, stalled_seconds)
        except Exception:
            log.exception("looking for jobs of dead workers failed; trying again")
        await asyncio.sleep(max(stalled_seconds / 2, 0.5))


async def serve(
    app: App,
    queue: procrastinate.App,
    *,
    concurrency: int,
    heartbeat_seconds: float,
    stalled_seconds: float,
) -> None:
    """Run a worker until it is told to stop (SIGINT or SIGTERM)."""
    async with queue.open_async():
        watcher = asyncio.create_task(_watch_stalled(queue, stalled_seconds))
        try:
            options: dict[str, Any] = {
                "concurrency": concurrency,
                "additional_context": {tasks.APP_KEY: app},
                "update_heartbeat_interval": heartbeat_seconds,
                "stalled_worker_timeout": stalled_seconds,
                "install_signal_handlers": True,
            }
            await queue.run_worker_async(**options)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


class QueueRunner:
    """What ``ledgerbridge serve`` holds on PostgreSQL: hands jobs to the workers' queue.

    It runs nothing itself (the workers do, and their minute tick follows the schedules), but
    it starts and stops like :class:`~ledgerbridge.jobs.local.LocalRunner`.
    """

    def __init__(self, settings: Settings) -> None:
        self.queue = make_queue(settings)
        self._dispatcher = QueueDispatcher(self.queue)

    def start(self) -> None:
        self.queue.open()

    def stop(self, timeout: float = 30.0) -> bool:
        self.queue.close()
        return True

    def submit_sync(self, integration_id: int, request: SyncRequest) -> None:
        self._dispatcher.submit_sync(integration_id, request)

    def submit_records(self, integration_id: int, changes: Sequence[RecordChange]) -> None:
        self._dispatcher.submit_records(integration_id, changes)
