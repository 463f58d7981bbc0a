"""The in-process job runner of the embedded default: a few threads inside ``ledgerbridge serve``.

Rules it keeps, like the queued runner: one job per integration at a time; a sync request equal
to one still waiting for that integration is dropped (the waiting one does the same work);
single-record changes for an integration merge into its waiting record job. A scheduler thread
queues the runs schedules make due.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ledgerbridge.bootstrap import App
from ledgerbridge.domain.runs import RunStatus
from ledgerbridge.engine.model import RunReport, SyncRequest
from ledgerbridge.jobs import work
from ledgerbridge.jobs.dispatch import RecordChange

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Job:
    """One queued unit of work: a sync run, or a batch of record changes."""

    integration_id: int
    request: SyncRequest | None = None
    changes: list[RecordChange] = field(default_factory=list)

    def describe(self) -> str:
        if self.request is not None:
            return f"{self.request.kind} run of integration {self.integration_id}"
        return f"{len(self.changes)} record syncs of integration {self.integration_id}"


# A perform function may hand back the run's report; a waiting one is run again at its reset.
Perform = Callable[[App, Job], object]


def perform(app: App, job: Job) -> RunReport | None:
    """Execute ``job`` with the shared job functions."""
    if job.request is not None:
        return work.run_sync(app, job.integration_id, job.request)
    work.run_records(app, job.integration_id, job.changes)
    return None


class LocalRunner:
    """A :class:`~ledgerbridge.jobs.dispatch.Dispatcher` that runs jobs on threads.

    ``start()`` starts ``workers`` job threads and, when ``tick`` is set, a scheduler thread
    that looks for due schedules every ``tick``; ``stop(timeout)`` lets running jobs finish.
    Without ``start()``, ``run_until_idle()`` runs the queue on the calling thread (tests).
    """

    def __init__(
        self,
        app: App,
        *,
        workers: int = 2,
        tick: timedelta | None = timedelta(seconds=30),
        clock: Clock = utc_now,
        perform: Perform = perform,
    ) -> None:
        if workers < 1:
            raise ValueError("a runner needs at least one worker thread")
        self.app = app
        self.workers = workers
        self.tick = tick
        self.clock = clock
        self._perform = perform
        self._cond = threading.Condition()
        self._queue: list[Job] = []
        self._running: set[int] = set()
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._wake_scheduler = threading.Event()
        # Runs a daily limit stopped, each queued again once its limit resets.
        self._later: list[tuple[datetime, int, SyncRequest]] = []

    # -- Dispatcher --------------------------------------------------------------------------

    def submit_sync(self, integration_id: int, request: SyncRequest) -> None:
        with self._cond:
            for job in self._queue:
                if job.integration_id == integration_id and job.request == request:
                    return
            self._queue.append(Job(integration_id, request=request))
            self._cond.notify_all()

    def submit_records(self, integration_id: int, changes: Sequence[RecordChange]) -> None:
        if not changes:
            return
        with self._cond:
            for job in self._queue:
                if job.integration_id == integration_id and job.request is None:
                    job.changes = work.merge_changes(job.changes, changes)
                    return
            self._queue.append(Job(integration_id, changes=work.merge_changes(changes)))
            self._cond.notify_all()

    # -- schedules ---------------------------------------------------------------------------

    def enqueue_due(self, now: datetime | None = None) -> list[int]:
        """Queue the scheduled and resumed runs due at ``now``; returns their integration ids."""
        moment = now or self.clock()
        with self._cond:
            resumed = [(iid, req) for when, iid, req in self._later if when <= moment]
            self._later = [entry for entry in self._later if entry[0] > moment]
        for iid, req in resumed:
            self.submit_sync(iid, req)
        due = work.due_runs(self.app, moment)
        for run in due:
            self.submit_sync(run.integration_id, run.request)
        return [iid for iid, _req in resumed] + [run.integration_id for run in due]

    @property
    def deferred(self) -> list[tuple[datetime, int, SyncRequest]]:
        """Runs waiting for a daily limit to reset: (when, integration id, request)."""
        with self._cond:
            return list(self._later)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        with self._cond:
            if self._threads:
                raise RuntimeError("the runner is already started")
            self._stopping = False
        self._wake_scheduler.clear()
        for n in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"ledgerbridge-job-{n}", daemon=True)
            self._threads.append(thread)
        if self.tick is not None:
            self._threads.append(
                threading.Thread(target=self._schedule, name="ledgerbridge-scheduler", daemon=True)
            )
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop taking jobs, let running ones finish; False when some did not within ``timeout``."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._wake_scheduler.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            log.warning("job threads still running after %.0f s: %s", timeout, ", ".join(alive))
        self._threads = []
        return not alive

    def run_until_idle(self, timeout: float = 60.0) -> None:
        """Return once nothing waits and nothing runs; runs the jobs here when not started."""
        deadline = time.monotonic() + timeout
        if not self._threads:
            with self._cond:
                self._stopping = False
            while (job := self._take(block=False)) is not None:
                self._execute(job)
            return
        with self._cond:
            while self._queue or self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"jobs still queued or running after {timeout} s: "
                        f"{len(self._queue)} waiting, integrations running: {sorted(self._running)}"
                    )
                self._cond.wait(left)

    @property
    def waiting(self) -> list[Job]:
        with self._cond:
            return list(self._queue)

    # -- threads -----------------------------------------------------------------------------

    def _take(self, *, block: bool) -> Job | None:
        """The oldest waiting job whose integration is not running now, marked running."""
        with self._cond:
            while True:
                if self._stopping:
                    return None
                for i, job in enumerate(self._queue):
                    if job.integration_id not in self._running:
                        del self._queue[i]
                        self._running.add(job.integration_id)
                        return job
                if not block:
                    return None
                self._cond.wait()

    def _execute(self, job: Job) -> None:
        try:
            result = self._perform(self.app, job)
            if (
                isinstance(result, RunReport)
                and result.status is RunStatus.WAITING
                and result.resume_at is not None
                and job.request is not None
            ):
                with self._cond:
                    self._later.append((result.resume_at, job.integration_id, job.request))
        except Exception:
            # One failed job must not stop the thread; the run history holds the details.
            log.exception("%s failed", job.describe())
        finally:
            with self._cond:
                self._running.discard(job.integration_id)
                self._cond.notify_all()

    def _work(self) -> None:
        while (job := self._take(block=True)) is not None:
            self._execute(job)

    def _schedule(self) -> None:
        assert self.tick is not None
        while not self._stopping:
            try:
                self.enqueue_due()
            except Exception:
                log.exception("looking for due schedules failed; trying again next tick")
            if self._wake_scheduler.wait(self.tick.total_seconds()):
                return
