"""Live progress of runs for the portal: a hub the engine reports into, watchers that read it.

A run started by this process's job threads reports through :class:`ProgressHub` (the engine's
``Progress`` callbacks: flow started, records done, flow finished), so the page shows pages and
records as they are read. A run in another process (a ``ledgerbridge worker``) reports nothing
here; :class:`RunWatcher` then falls back to what the run leaves in the store: its items (written
page by page) and, once it ends, its status and counts. Either way the page gets the same
:class:`Snapshot`.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunItem, RunStatus, RunSummary
from ledgerbridge.portal.export import totals

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ledgerbridge.bootstrap import App

# Finds the id of the integration's run now running (the engine records it before any flow).
RunResolver = Callable[[int], int | None]


@dataclass(frozen=True, slots=True)
class FlowProgress:
    """How far one flow got reading one side."""

    flow: str
    side: str
    pages: int = 0
    records: int = 0
    finished: bool = False


@dataclass(slots=True)
class _Live:
    integration_id: int
    run_id: int | None = None
    flows: dict[tuple[str, str], FlowProgress] = field(default_factory=dict)


class ProgressHub:
    """Thread-safe: job threads report, request handlers read.

    A reporter learns its run's id at its first report (the engine records the run before any
    flow starts, and the job runners run one sync per integration at a time); the reports of
    the last ``keep`` runs stay readable by run id, so a page opened after a run ended still
    shows what it read.
    """

    def __init__(self, resolve: RunResolver | None = None, keep: int = 100) -> None:
        self._resolve = resolve
        self._keep = keep
        self._cond = threading.Condition()
        self._runs: collections.OrderedDict[int, _Live] = collections.OrderedDict()
        self._seq = 0

    def reporter(self, integration_id: int) -> HubReporter:
        """A fresh ``Progress`` for a run of the integration that is about to start."""
        return HubReporter(self, _Live(integration_id))

    @property
    def seq(self) -> int:
        """Grows with every report; a reader that saw ``seq`` has seen everything up to it."""
        with self._cond:
            return self._seq

    def wait(self, seen: int, timeout: float) -> int:
        """Block until something newer than ``seen`` is reported or ``timeout`` passes."""
        with self._cond:
            self._cond.wait_for(lambda: self._seq > seen, timeout)
            return self._seq

    def flows(self, integration_id: int, run_id: int) -> tuple[FlowProgress, ...] | None:
        """What run ``run_id`` reported here so far; ``None`` when it reports elsewhere."""
        with self._cond:
            live = self._runs.get(run_id)
            if live is None or live.integration_id != integration_id:
                return None
            return tuple(live.flows.values())

    # -- what reporters call -------------------------------------------------------------------

    def _update(self, live: _Live, flow: str, side: Side | None, pages: int, records: int) -> None:
        with self._cond:
            if live.run_id is None and self._resolve is not None:
                live.run_id = self._resolve(live.integration_id)
                if live.run_id is not None:
                    self._runs[live.run_id] = live
                    while len(self._runs) > self._keep:
                        self._runs.popitem(last=False)
            if side is None:
                for key, fp in live.flows.items():
                    if key[0] == flow:
                        live.flows[key] = FlowProgress(fp.flow, fp.side, fp.pages, fp.records, True)
            else:
                key = (flow, side.value)
                fp = live.flows.get(key) or FlowProgress(flow, side.value)
                live.flows[key] = FlowProgress(
                    flow, side.value, fp.pages + pages, fp.records + records, False
                )
            self._bump()

    def _bump(self) -> None:
        self._seq += 1
        self._cond.notify_all()


class HubReporter:
    """The engine's ``Progress`` for one run, reporting into a :class:`ProgressHub`."""

    def __init__(self, hub: ProgressHub, live: _Live) -> None:
        self._hub = hub
        self._live = live

    def flow_started(self, flow: str, side: Side) -> None:
        self._hub._update(self._live, flow, side, 0, 0)

    def records_done(self, flow: str, side: Side, count: int) -> None:
        self._hub._update(self._live, flow, side, 1, count)

    def flow_finished(self, flow: str) -> None:
        self._hub._update(self._live, flow, None, 0, 0)


class RunReader(Protocol):
    """The part of the runs store a watcher reads (``store.runs``)."""

    def get(self, run_id: int) -> RunSummary: ...

    def items(
        self,
        run_id: int,
        outcome: Outcome | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[RunItem]: ...


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Where a run is, as the page shows it."""

    run_id: int
    status: RunStatus
    flows: tuple[FlowProgress, ...]
    counts: Mapping[str, int]
    flows_total: int
    source: str  # "live": reported here; "store": read from the runs store
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status is not RunStatus.RUNNING

    @property
    def records(self) -> int:
        return sum(f.records for f in self.flows)

    @property
    def flows_done(self) -> int:
        if self.finished:
            return self.flows_total
        return min(self.flows_total, len({f.flow for f in self.flows if f.finished}))

    def message(self) -> str:
        """One sentence for the aria-live region."""
        done = ", ".join(f"{n} {o}" for o, n in self.counts.items() if n) or "nothing changed yet"
        if self.finished:
            tail = f": {self.error}" if self.error else ""
            return f"Run {self.run_id} {self.status.value}: {done}{tail}."
        return (
            f"Run {self.run_id} running: {self.flows_done} of {self.flows_total} flows done, "
            f"{self.records} records read; {done}."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status.value,
            "finished": self.finished,
            "flows": [
                {
                    "flow": f.flow,
                    "side": f.side,
                    "pages": f.pages,
                    "records": f.records,
                    "finished": f.finished or self.finished,
                }
                for f in self.flows
            ],
            "counts": dict(self.counts),
            "records": self.records,
            "flows_done": self.flows_done,
            "flows_total": self.flows_total,
            "source": self.source,
            "error": self.error,
            "message": self.message(),
        }


class RunWatcher:
    """Follows one run: the hub's live report when there is one, else the store's items.

    Items are read incrementally (only those added since the last poll), so following a run of
    many thousand records costs one small query per poll.
    """

    def __init__(
        self,
        runs: RunReader,
        hub: ProgressHub | None,
        integration_id: int,
        run_id: int,
        flows_total: int,
    ) -> None:
        self._runs = runs
        self._hub = hub
        self._iid = integration_id
        self.run_id = run_id
        self._flows_total = max(1, flows_total)
        self._offset = 0
        self._outcomes: dict[str, int] = {o.value: 0 for o in Outcome}
        self._per_flow: dict[tuple[str, str], int] = {}

    def poll(self) -> Snapshot:
        run = self._runs.get(self.run_id)
        fresh = self._runs.items(self.run_id, offset=self._offset)
        self._offset += len(fresh)
        for item in fresh:
            self._outcomes[item.outcome.value] += 1
            key = (item.flow, item.side.value)
            self._per_flow[key] = self._per_flow.get(key, 0) + 1
        live = self._hub.flows(self._iid, self.run_id) if self._hub is not None else None
        finished = run.status is not RunStatus.RUNNING
        # The stored counts are the run's own (kept with each heartbeat, final at the end); the
        # items show failures and changes recorded since the last heartbeat. Either may be ahead.
        stored = totals(dict(run.counts))
        if finished and run.counts:
            counts = stored
        else:
            counts = {o: max(n, self._outcomes[o]) for o, n in stored.items()}
        flows: Sequence[FlowProgress]
        if live is not None:
            flows, source = live, "live"
        else:
            per_flow = dict(self._per_flow)
            for key, n in _per_flow_side(run.counts).items():
                per_flow[key] = max(n, per_flow.get(key, 0))
            flows = tuple(
                FlowProgress(flow, side, 0, n, finished) for (flow, side), n in per_flow.items()
            )
            source = "store"
        return Snapshot(
            run_id=self.run_id,
            status=run.status,
            flows=tuple(flows),
            counts={k: v for k, v in counts.items() if v},
            flows_total=self._flows_total,
            source=source,
            error=run.error,
        )


def _per_flow_side(counts: Any) -> dict[tuple[str, str], int]:
    """Records counted per (flow, side) in a run's stored counts."""
    out: dict[tuple[str, str], int] = {}
    if not isinstance(counts, Mapping):
        return out
    for flow, sides in counts.items():
        if not isinstance(sides, Mapping):
            continue
        for side, outcomes in sides.items():
            if isinstance(outcomes, Mapping):
                out[(str(flow), str(side))] = sum(
                    n for n in outcomes.values() if isinstance(n, int)
                )
    return out


def sse(event: str, data: str, event_id: int | None = None) -> str:
    """One server-sent event; ``data`` may span lines (each gets its own ``data:``)."""
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.extend(f"data: {line}" for line in data.split("\n"))
    return "\n".join(lines) + "\n\n"


def install(web: FastAPI, application: App) -> ProgressHub:
    """Give ``web`` a hub and have the application's engine report its runs into it."""
    runs = application.store.runs

    def running(integration_id: int) -> int | None:
        run = runs.running(integration_id)
        return None if run is None else run.id

    hub = ProgressHub(resolve=running)
    web.state.progress = hub
    application.engine.progress_for = lambda row: hub.reporter(row.id)
    return hub


def hub_of(web: Any) -> ProgressHub | None:
    """The hub :func:`install` gave the web app, if any."""
    hub = getattr(web.state, "progress", None)
    return hub if isinstance(hub, ProgressHub) else None
