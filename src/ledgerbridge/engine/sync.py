"""The sync run: every flow of an integration, in dependency order, steps 1 to 6."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from ledgerbridge.connectors.base import Budgeted, Catalogues
from ledgerbridge.domain.catalogues import catalogues_used, resolve_catalogues
from ledgerbridge.domain.config import FlowConfig
from ledgerbridge.domain.errors import (
    ConfigError,
    DailyLimitError,
    FatalError,
    RetriableError,
    StateError,
)
from ledgerbridge.domain.mapping import FlowMap
from ledgerbridge.domain.ordering import order_flows
from ledgerbridge.domain.records import Record, Side
from ledgerbridge.domain.runs import Outcome, RunCounts, RunItem, RunKind, RunStatus
from ledgerbridge.engine.figures import FiguresStep
from ledgerbridge.engine.model import (
    NoProgress,
    Notifier,
    Progress,
    RunReport,
    SyncRequest,
    Systems,
    WindowKind,
)
from ledgerbridge.engine.pages import PageOutcome, PageProcessor, key_fields_needed
from ledgerbridge.engine.related import (
    check_children,
    child_parents,
    related_cursor,
    with_related,
)
from ledgerbridge.engine.validate import preflight
from ledgerbridge.observability import bind_run, log_context, metrics
from ledgerbridge.store import IntegrationRow, IntegrationState, Store

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# A running run marks itself alive this often (seconds).
_HEARTBEAT_SECONDS = 10.0

# How far a dependency chain (invoice -> account -> ...) is followed within one record.
_MAX_DEPENDENCY_DEPTH = 4


def utc_now() -> datetime:
    return datetime.now(UTC)


class SyncEngine:
    """Runs syncs for integrations; the same code serves the CLI, the portal and the workers."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock = utc_now,
        skew: timedelta = timedelta(seconds=5),
        overlap: timedelta = timedelta(seconds=5),
        budget_reserve: int = 50,
        notifier: Notifier | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        # Daily API calls kept for webhooks and single-record syncs: a run does not start a
        # flow when a connector has fewer left than this.
        self.budget_reserve = budget_reserve
        self.notifier = notifier
        # The new cursor is capped at the run's start minus ``skew`` (clocks of remote systems
        # drift), and the next read starts ``overlap`` earlier still: a change is never skipped;
        # the echo check drops the few records read twice.
        self.skew = skew
        self.overlap = overlap
        # Where runs report progress when the caller passes none (the portal's live view of
        # runs the job threads start); set by whoever serves that view.
        self.progress_for: Callable[[IntegrationRow], Progress] | None = None

    # -- public ------------------------------------------------------------------------------

    def run(
        self,
        integration: IntegrationRow,
        systems: Systems,
        request: SyncRequest,
        progress: Progress | None = None,
    ) -> RunReport:
        # Every log line of the run carries the integration's name, then the run's id.
        with log_context(integration=integration.name):
            integration = preflight(self.store, self._current(integration), systems)
            flows = self.select_flows(integration, request.flows)
            run = _Run(self, integration, systems, request, progress or self._progress(integration))
            return run.execute(flows)

    def sync_record(
        self,
        integration: IntegrationRow,
        systems: Systems,
        flow: str,
        side: Side,
        record_id: str,
        *,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> RunReport:
        """Sync one record now (a CRM button, a webhook, a retry from the portal)."""
        with log_context(integration=integration.name):
            integration = preflight(self.store, self._current(integration), systems)
            (config,) = self.select_flows(integration, (flow,))
            request = SyncRequest(flows=(flow,), kind=RunKind.SINGLE, dry_run=dry_run)
            run = _Run(self, integration, systems, request, progress or self._progress(integration))
            return run.execute_single(config, side, record_id)

    # -- helpers -----------------------------------------------------------------------------

    def _progress(self, integration: IntegrationRow) -> Progress:
        return NoProgress() if self.progress_for is None else self.progress_for(integration)

    def _current(self, integration: IntegrationRow) -> IntegrationRow:
        """The integration as stored now: edited preferences and state apply at once."""
        current = self.store.integrations.get_by_id(integration.id)
        if current.state is not IntegrationState.ACTIVE:
            how = (
                f"`ledgerbridge integration resume {current.name}`"
                if current.state is IntegrationState.PAUSED
                else f"`ledgerbridge integration enable {current.name}`"
            )
            raise StateError(
                f"integration {current.name} is {current.state.value}: it runs nothing and "
                f"loses nothing (changes made meanwhile sync once it runs again); {how} to "
                "run it again"
            )
        return current

    @staticmethod
    def select_flows(integration: IntegrationRow, names: Sequence[str]) -> list[FlowConfig]:
        by_name = {f.name: f for f in integration.flows}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            known = ", ".join(by_name) or "none"
            raise ConfigError(
                f"integration {integration.name} has no flow named {', '.join(unknown)}; "
                f"its flows are: {known}"
            )
        if names:
            chosen = [by_name[n] for n in names]
        else:
            chosen = [f for f in integration.flows if f.enabled]
        order = {f.name: i for i, f in enumerate(order_flows(integration.flows))}
        return sorted(chosen, key=lambda f: order[f.name])


class _Run:
    """One run's state: counts, items, the processors of each flow."""

    def __init__(
        self,
        engine: SyncEngine,
        integration: IntegrationRow,
        systems: Systems,
        request: SyncRequest,
        progress: Progress,
    ) -> None:
        self.engine = engine
        self.store = engine.store
        self.integration = integration
        self.iid = integration.id
        # Parent records (accounts) come with their children (contacts) gathered onto them.
        systems = with_related(systems, integration.flows)
        self.systems = systems
        self.request = request
        self.progress = progress
        self.counts = RunCounts()
        self.items: list[RunItem] = []
        self.report = RunReport(run_id=None, status=RunStatus.RUNNING, counts=self.counts)
        self.flows = {f.name: f for f in integration.flows}
        self.key_fields = key_fields_needed(integration.flows)
        self.processors: dict[str, PageProcessor] = {}
        self.run_id: int | None = None
        self._beat = time.monotonic()
        # Ids known to be in the pending table, so clearing costs nothing when none are.
        self.pending_ids: dict[tuple[str, Side], set[str]] = {}
        self.started = engine.clock()
        self._depth = 0
        # Catalogues (tax rates) read once per run, for the value maps that use them.
        self.catalogues: dict[str, dict[str, str]] = {}
        # Accounting figures (receivables, sales) go back to the CRM once the flows are done.
        self.figures: FiguresStep | None = None
        if FiguresStep.wanted(integration.flows) and not request.dry_run:
            self.figures = FiguresStep(
                store=self.store,
                systems=systems,
                integration_id=self.iid,
                flows=integration.flows,
                counts=self.counts,
            )

    # -- lifecycle ---------------------------------------------------------------------------

    def _start(self) -> None:
        self.report.started_at = self.started
        if self.request.dry_run:
            return
        self.store.runs.mark_interrupted(self.iid)
        self.run_id = self.store.runs.start(
            self.iid, self.request.kind, self.request.as_dict(), self.request.dry_run
        )
        self.report.run_id = self.run_id
        bind_run(self.run_id)

    def _finish(self, error: str | None, waiting: bool = False) -> RunReport:
        failed = self.counts.total(Outcome.FAILED)
        if waiting:
            status = RunStatus.WAITING
        elif error:
            status = RunStatus.FAILED
        elif failed:
            status = RunStatus.PARTIAL
        else:
            status = RunStatus.SUCCEEDED
        self.report.status = status
        self.report.error = error
        self.report.items = self.items
        self.report.finished_at = self.engine.clock()
        if self.run_id is not None:
            self.store.runs.finish(self.run_id, status, self.counts.as_dict(), error)
            metrics.run_finished(
                self.integration.name, self.request.kind.value, status.value, self.counts.as_dict()
            )
        self._notify()
        return self.report

    def _notify(self) -> None:
        """Send the summary e-mail when asked; a failed send is noted, never fails the run."""
        notifier = self.engine.notifier
        if (
            notifier is None
            or not self.request.email_summary
            or not self.integration.notify_email
            or self.request.dry_run
        ):
            return
        try:
            notifier.run_finished(self.integration, self.report)
        except Exception as exc:
            notice = f"the summary e-mail to {self.integration.notify_email} was not sent: {exc}"
            log.warning("run %s: %s", self.run_id, notice)
            self.report.notice = notice
            if self.run_id is not None:
                self.store.runs.set_notice(self.run_id, notice)

    def execute(self, flows: list[FlowConfig]) -> RunReport:
        self._start()
        try:
            self._run_figures(owed=True)
            for flow in flows:
                if not self.request.dry_run:
                    self._check_budget(flow)
                self._run_flow(flow)
            self._run_figures()
        except (FatalError, RetriableError) as exc:
            return self._stopped(exc)
        return self._finish(None)

    def _run_figures(self, *, owed: bool = False) -> None:
        """The figures step, after every flow: CRM fields the accounting side computes.

        ``owed``: the figures earlier runs died before writing, first thing in a run.
        """
        if self.figures is None:
            return
        for done in self.figures.owed() if owed else self.figures.run():
            outcome = PageOutcome(
                items=done.items,
                failed_ids=[i.record_id for i in done.items if i.outcome is Outcome.FAILED],
                ok_ids=done.ok_ids,
            )
            self._record(self._processor(self.flows[done.flow]), Side.BOOKS, outcome)

    def _stopped(self, exc: FatalError | RetriableError) -> RunReport:
        """Finish a run a whole-run error stopped, saying whether and when it may go on."""
        if isinstance(exc, DailyLimitError):
            # Finished flows kept their cursors and the interrupted one its checkpoint, so a run
            # after the reset goes on from there.
            self.report.resume_at = exc.reset_at
            return self._finish(_waiting_message(exc), waiting=True)
        self.report.retriable = isinstance(exc, RetriableError)
        return self._finish(str(exc))

    def _check_budget(self, flow: FlowConfig) -> None:
        """Stop before a flow when a system's daily calls are down to the reserve."""
        reserve = self.engine.budget_reserve
        for system in (self.systems.crm, self.systems.books):
            if not isinstance(system, Budgeted):
                continue
            budget = system.budget()
            if budget is None or budget.remaining >= reserve:
                continue
            raise DailyLimitError(
                f"{system.system} has {budget.remaining} API calls left today, fewer than the "
                f"{reserve} kept for webhooks and single-record syncs, so flow {flow.name} was "
                "not started",
                reset_at=budget.resets_at,
            )

    def execute_single(self, flow: FlowConfig, side: Side, record_id: str) -> RunReport:
        self._start()
        try:
            self._run_figures(owed=True)
            processor = self._processor(flow)
            if processor.fmap.reads(side):
                records = self.systems.on(side).get_many(processor.module(side), [record_id])
                if not records:
                    self._record(
                        processor,
                        side,
                        PageOutcome(
                            items=[
                                RunItem(
                                    flow.name,
                                    side,
                                    record_id,
                                    Outcome.FAILED,
                                    f"no {processor.module(side)} record with id {record_id} "
                                    f"exists in the "
                                    f"{'CRM' if side is Side.CRM else 'accounting system'}",
                                )
                            ]
                        ),
                    )
                    self.counts.add(flow.name, side, Outcome.FAILED)
                else:
                    self._record(processor, side, processor.process(side, records))
                    self._run_figures()
            else:
                raise ConfigError(
                    f"flow {flow.name} does not carry {side.value} records "
                    f"(its direction is {flow.direction.value})"
                )
        except (FatalError, RetriableError) as exc:
            return self._stopped(exc)
        return self._finish(None)

    # -- flows -------------------------------------------------------------------------------

    def _resolved(self, flow: FlowConfig) -> FlowConfig:
        """The flow with its catalogue value maps (tax rates) as this organisation has them."""
        books = self.systems.books
        if not catalogues_used(flow) or not isinstance(books, Catalogues):
            return flow
        return resolve_catalogues(flow, self._catalogue)

    def _catalogue(self, name: str) -> dict[str, str]:
        if name not in self.catalogues:
            books = self.systems.books
            assert isinstance(books, Catalogues)
            self.catalogues[name] = books.catalogue(name)
        return self.catalogues[name]

    def _processor(self, flow: FlowConfig) -> PageProcessor:
        proc = self.processors.get(flow.name)
        if proc is None:
            flow = self._resolved(flow)
            proc = PageProcessor(
                store=self.store,
                systems=self.systems,
                integration_id=self.iid,
                flow=flow,
                fmap=FlowMap(flow, self.request.direction),
                flows=self.flows,
                counts=self.counts,
                dry_run=self.request.dry_run,
                key_fields=self.key_fields,
                sync_dependency=self._sync_dependency,
                on_processed=self.figures.note if self.figures is not None else None,
            )
            self.processors[flow.name] = proc
        return proc

    def _run_flow(self, flow: FlowConfig) -> None:
        proc = self._processor(flow)
        if proc.fmap.direction is None:
            return  # the run's direction excludes this flow
        sides = [s for s in (flow.first, flow.first.other) if proc.fmap.reads(s)]
        cursors = {s: self.store.cursors.get(self.iid, flow.name, s) for s in sides}
        window = self._checkpoint_window()
        for side in sides:
            self.progress.flow_started(flow.name, side)
            if not self.request.dry_run:
                self._retry_pending(proc, side)
            since = self._since(cursors[side])
            if window is not None:
                # An earlier read of this window stopped part-way: go on from where it got to.
                checkpoint = self.store.checkpoints.get(self.iid, flow.name, side, window)
                if checkpoint is not None and (since is None or checkpoint > since):
                    since = checkpoint
            conn = self.systems.on(side)
            reached = since
            until = self.request.window.until
            for page in conn.read_changes(proc.module(side), since):
                records = page.records
                if until is not None:
                    records = [r for r in records if r.modified_at <= until]
                outcome = proc.process(side, records)
                self._record(proc, side, outcome)
                self.progress.records_done(flow.name, side, len(records))
                if len(records) < len(page.records):
                    break  # pages come in ascending modification time: the rest is later still
                if window is not None and page.records and page.next_token is not None:
                    # Pages come in ascending modification time, so everything before the
                    # page's latest time is processed; records at that time are read again.
                    # The last page needs none: the side is done (most reads are one page).
                    latest = max(r.modified_at for r in page.records)
                    if reached is None or latest > reached:
                        reached = latest
                        self.store.checkpoints.set(self.iid, flow.name, side, window, latest)
        related = self._run_related(proc) if Side.CRM in sides else []
        if not self.request.dry_run:
            for name in related:
                self.store.cursors.set(self.iid, name, Side.CRM, self.started - self.engine.skew)
            # Step 6: the cursor moves only once the whole flow has finished.
            for side in sides:
                if self._advances(cursors[side]):
                    self.store.cursors.set(
                        self.iid, flow.name, side, self.started - self.engine.skew
                    )
                if window is not None:
                    self.store.checkpoints.clear(self.iid, flow.name, side)
        self.progress.flow_finished(flow.name)

    def _run_related(self, proc: PageProcessor) -> list[str]:
        """Children that changed (an account's contacts) sync their parents again.

        Children that cannot sync are reported (no parent, no e-mail); the cursor names of
        the relations read are returned, to move with the flow's own.
        """
        flow = proc.flow
        names: list[str] = []
        for rel in flow.related:
            name = related_cursor(flow, rel)
            names.append(name)
            since = self._since(self.store.cursors.get(self.iid, name, Side.CRM))
            # Relations over the same children (vendors' contacts beside accounts'): a child
            # with no parent at all is reported once, by the first.
            same = [
                (f.name, r)
                for f in self.integration.flows
                for r in f.related
                if r.crm_module == rel.crm_module
            ]
            others = [r for n, r in same if (n, r.name) != (flow.name, rel.name)]
            first = same[0][0] == flow.name
            parents: set[str] = set()
            for page in self.systems.crm.read_changes(rel.crm_module, since):
                items, found = check_children(
                    flow,
                    rel,
                    page.records,
                    elsewhere=others,
                    report_orphans=first,
                )
                parents |= found
                # A child deleted or moved since it was last read: its former parent loses it.
                now = child_parents(rel, page.records)
                before = self.store.related.parents_of(self.iid, name, list(now))
                parents |= {p for c, p in before.items() if now.get(c) != p}
                if not self.request.dry_run:
                    self.store.related.remember(
                        self.iid, name, {c: p for c, p in now.items() if p is not None}
                    )
                    self.store.related.forget(
                        self.iid, name, [c for c, p in now.items() if p is None and c in before]
                    )
                for item in items:
                    self.counts.add(item.flow, item.side, item.outcome)
                self.items.extend(items)
                if self.run_id is not None and items:
                    self.store.runs.add_items(self.run_id, items)
            todo = sorted(parents - proc.state.done[Side.CRM])
            for start in range(0, len(todo), 200):
                batch = todo[start : start + 200]
                records = self.systems.crm.get_many(proc.module(Side.CRM), batch)
                self._record(proc, Side.CRM, proc.process(Side.CRM, records))
        return names

    def _checkpoint_window(self) -> str | None:
        """The window kind whose progress is checkpointed; None when none is kept.

        A read of the last N days has a moving start, so its progress is not kept; a dry run
        writes nothing and reads everything it is asked to.
        """
        if self.request.dry_run or self.request.window.kind is WindowKind.DAYS:
            return None
        return self.request.window.kind.value

    def _since(self, cursor: datetime | None) -> datetime | None:
        window = self.request.window
        if window.kind is WindowKind.FULL:
            return None
        if window.kind is WindowKind.DAYS:
            assert window.days is not None
            return self.started - timedelta(days=window.days)
        return None if cursor is None else cursor - self.engine.overlap

    def _advances(self, cursor: datetime | None) -> bool:
        """Whether this run read everything since the cursor, so the cursor may move."""
        window = self.request.window
        if window.until is not None:
            return False  # what changed after the window's end is still to be read
        if window.kind is not WindowKind.DAYS:
            return True
        assert window.days is not None
        start = self.started - timedelta(days=window.days)
        return cursor is not None and start <= cursor

    def _retry_pending(self, proc: PageProcessor, side: Side) -> None:
        """Records that failed before are read again by id, whatever the cursor says."""
        ids = self.store.pending.list(self.iid, proc.flow.name, side)
        self.pending_ids[(proc.flow.name, side)] = set(ids)
        if not ids:
            return
        found = self.systems.on(side).get_many(proc.module(side), ids)
        gone = set(ids) - {r.id for r in found}
        if gone:
            self.store.pending.clear(self.iid, proc.flow.name, side, sorted(gone))
        for chunk in _chunks(found, 200):
            self._record(proc, side, proc.process(side, chunk))

    def _record(self, proc: PageProcessor, side: Side, outcome: PageOutcome) -> None:
        """Keep a page's items and remember its failures for the next run."""
        self.items.extend(outcome.items)
        self.report.planned.extend(outcome.planned)
        if self.run_id is None:
            return
        if outcome.items:
            self.store.runs.add_items(self.run_id, outcome.items)
        now = time.monotonic()
        if now - self._beat >= _HEARTBEAT_SECONDS:
            # Workers tell a live run from a dead one by this; once per interval is enough.
            # The counts so far go with it, for pages in other processes that follow the run.
            self._beat = now
            self.store.runs.heartbeat(self.run_id, self.counts)
        flow = proc.flow.name
        failed = {i.record_id: i.reason for i in outcome.items if i.outcome is Outcome.FAILED}
        known = self.pending_ids.setdefault((flow, side), set())
        if failed:
            self.store.pending.put(self.iid, flow, side, failed)
            known.update(failed)
        fixed = [i for i in outcome.ok_ids if i in known and i not in failed]
        if fixed:
            self.store.pending.clear(self.iid, flow, side, fixed)
            known.difference_update(fixed)

    def _sync_dependency(self, flow_name: str, side: Side, record_id: str) -> bool | None:
        """Sync a referenced record in its own flow; True when it is bound afterwards.

        ``None`` means the referenced record does not exist at all.
        """
        flow = self.flows.get(flow_name)
        if flow is None or self._depth >= _MAX_DEPENDENCY_DEPTH:
            return False
        proc = self._processor(flow)
        if not proc.fmap.reads(side):
            return False
        self._depth += 1
        try:
            records = self.systems.on(side).get_many(proc.module(side), [record_id])
            if not records:
                return None
            self._record(proc, side, proc.process(side, records))
        finally:
            self._depth -= 1
        bound = self.store.bindings.get_many(self.iid, flow_name, side, [record_id])
        return record_id in bound


def _waiting_message(exc: DailyLimitError) -> str:
    when = (
        f"after {exc.reset_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        if exc.reset_at is not None
        else "after the daily limit resets"
    )
    return f"{exc}; the run resumes {when} from where it stopped"


def _chunks(items: Sequence[Record], size: int) -> Iterable[Sequence[Record]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
