"""Procrastinate tasks: a sync run, single-record syncs and the minute tick of schedules.

Each task calls the same job function as the in-process runner. The wired ledgerbridge
:class:`~ledgerbridge.bootstrap.App` reaches a task through the worker's additional context.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import procrastinate
import sqlalchemy as sa
from procrastinate.job_context import JobContext

from ledgerbridge.bootstrap import App
from ledgerbridge.domain.errors import RetriableError
from ledgerbridge.domain.runs import RunStatus
from ledgerbridge.jobs import work

APP_KEY = "ledgerbridge_app"
SYNC_TASK = "ledgerbridge.sync"
RECORDS_TASK = "ledgerbridge.records"
SCHEDULES_TASK = "ledgerbridge.schedules"
PRUNE_TASK = "ledgerbridge.prune"

# A failure that escapes a run (a connector that cannot open for a network or rate-limit
# reason, a database hiccup) is tried again after 5, 25, 125 and 625 seconds. A failure inside
# a run is already on the run's record, and the next run converges anyway.
RETRY = procrastinate.RetryStrategy(
    max_attempts=5,
    exponential_wait=5,
    retry_exceptions={RetriableError, sa.exc.OperationalError},
)

blueprint = procrastinate.Blueprint()


def app_of(context: JobContext) -> App:
    found = (context.additional_context or {}).get(APP_KEY)
    if not isinstance(found, App):
        raise RuntimeError(
            "the worker was started without the ledgerbridge app; start it with "
            "`ledgerbridge worker`"
        )
    return found


@blueprint.task(name=SYNC_TASK, pass_context=True, retry=RETRY)
def sync_integration(context: JobContext, integration_id: int, request: dict[str, Any]) -> None:
    report = work.run_sync(app_of(context), integration_id, work.request_from_dict(request))
    if report is not None and report.status is RunStatus.WAITING and report.resume_at is not None:
        # A daily limit stopped the run: it goes on by itself once the limit resets.
        from ledgerbridge.jobs.queue import integration_lock

        context.app.configure_task(
            SYNC_TASK,
            lock=integration_lock(integration_id),
            schedule_at=report.resume_at,
        ).defer(integration_id=integration_id, request=request)


@blueprint.task(name=RECORDS_TASK, pass_context=True, retry=RETRY)
def sync_records(context: JobContext, integration_id: int, changes: list[dict[str, Any]]) -> None:
    work.run_records(app_of(context), integration_id, [work.change_from_dict(c) for c in changes])


@blueprint.periodic(cron="* * * * *", periodic_id="schedules")
@blueprint.task(name=SCHEDULES_TASK, pass_context=True, queueing_lock=SCHEDULES_TASK)
def enqueue_schedules(context: JobContext, timestamp: int) -> None:
    """Queue the scheduled runs due at ``timestamp`` (seconds since the epoch)."""
    from ledgerbridge.jobs.queue import QueueDispatcher

    if context.app is None:
        raise RuntimeError("a schedules job runs inside a worker")
    now = datetime.fromtimestamp(timestamp, UTC)
    dispatcher = QueueDispatcher(context.app)
    for run in work.due_runs(app_of(context), now):
        dispatcher.submit_sync(run.integration_id, run.request)


# The run history lives in the runs table; finished queue rows only help while investigating.
KEEP_FINISHED_JOBS_HOURS = 7 * 24


async def prune_finished(queue: procrastinate.App) -> None:
    """Delete queue rows of jobs that finished more than a week ago, failed ones included."""
    await queue.job_manager.delete_old_jobs(
        nb_hours=KEEP_FINISHED_JOBS_HOURS,
        include_failed=True,
        include_cancelled=True,
        include_aborted=True,
    )


@blueprint.periodic(cron="23 3 * * *", periodic_id="prune")
@blueprint.task(name=PRUNE_TASK, pass_context=True, queueing_lock=PRUNE_TASK)
async def prune_jobs(context: JobContext, timestamp: int) -> None:
    if context.app is None:
        raise RuntimeError("a prune job runs inside a worker")
    await prune_finished(context.app)
