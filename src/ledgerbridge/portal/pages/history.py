"""Run history: runs with their counts, a chart of runs and failures, a run's records, retries.

Everything a person sees is limited to the integrations they may see. Exports are CSV with the
formula guard of :mod:`ledgerbridge.portal.export`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from ledgerbridge.bootstrap import App
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunItem, RunStatus, RunSummary
from ledgerbridge.engine.lifecycle import runnable
from ledgerbridge.jobs.dispatch import RecordChange
from ledgerbridge.portal import chart
from ledgerbridge.portal.deps import PrincipalDep, flash, page_router, render
from ledgerbridge.portal.export import items_csv, runs_csv, totals
from ledgerbridge.portal.links import record_url, system_label
from ledgerbridge.store import IntegrationRow
from ledgerbridge.web.access import (
    IntegrationHiddenError,
    Principal,
    require_integration,
    visible_integrations,
)
from ledgerbridge.web.deps import ApplicationDep, DispatcherDep

router = page_router()

PAGE_SIZE = 50
ITEMS_PAGE = 200
# Runs read per integration for one history page and its chart: the newest this many.
SCAN_LIMIT = 5000
DEFAULT_DAYS = 30


@dataclass(frozen=True, slots=True)
class Filters:
    integration: str = ""
    status: str = ""
    since: str = ""
    until: str = ""

    def query(self, **extra: Any) -> str:
        pairs = {
            "integration": self.integration,
            "status": self.status,
            "since": self.since,
            "until": self.until,
            **{k: str(v) for k, v in extra.items()},
        }
        return urlencode({k: v for k, v in pairs.items() if v})


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _collect(
    application: App, principal: Principal, filters: Filters
) -> tuple[list[RunSummary], date, date, dict[str, str]]:
    """The runs the filters select, newest first, with the date range and filter errors."""
    errors: dict[str, str] = {}
    today = datetime.now(UTC).date()
    until = _day(filters.until)
    since = _day(filters.since)
    if filters.until and until is None:
        errors["until"] = "Give a date (YYYY-MM-DD)."
    if filters.since and since is None:
        errors["since"] = "Give a date (YYYY-MM-DD)."
    until = until or today
    since = since or until - timedelta(days=DEFAULT_DAYS - 1)
    if since > until:
        errors["since"] = "The first day comes after the last."
        since = until
    status: RunStatus | None = None
    if filters.status:
        try:
            status = RunStatus(filters.status)
        except ValueError:
            errors["status"] = "Choose an outcome from the list."
    rows = visible_integrations(application.store, principal)
    if filters.integration:
        rows = [r for r in rows if r.name == filters.integration]
        if not rows:
            errors["integration"] = "No such integration."
    runs: list[RunSummary] = []
    for row in rows:
        for run in application.store.runs.list(row.id, limit=SCAN_LIMIT, status=status):
            day = run.started_at.astimezone(UTC).date()
            if day < since:
                break  # newest first: everything after is older still
            if day <= until:
                runs.append(run)
    runs.sort(key=lambda r: r.id, reverse=True)
    return runs, since, until, errors


def _filters(integration: str, status: str, since: str, until: str) -> Filters:
    return Filters(integration.strip(), status.strip(), since.strip(), until.strip())


Text = Annotated[str, Query(max_length=64)]


@router.get("/history", name="history")
def history(
    request: Request,
    application: ApplicationDep,
    principal: PrincipalDep,
    integration: Text = "",
    status: Text = "",
    since: Text = "",
    until: Text = "",
    before: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    filters = _filters(integration, status, since, until)
    runs, first, last, errors = _collect(application, principal, filters)
    series = chart.daily_counts(
        ((r.started_at.astimezone(UTC), r.status) for r in runs), first, last
    )
    shown = [r for r in runs if before is None or r.id < before][:PAGE_SIZE]
    older = shown[-1].id if len(shown) == PAGE_SIZE and runs[-1].id < shown[-1].id else None
    return render(
        request,
        "history.html",
        status_code=422 if errors else 200,
        active="history",
        filters=filters,
        errors=errors,
        integrations=visible_integrations(application.store, principal),
        statuses=[s.value for s in RunStatus],
        runs=[(r, totals(dict(r.counts))) for r in shown],
        outcomes=[o.value for o in Outcome],
        chart_svg=Markup(chart.runs_chart(series)),  # noqa: S704 - built and escaped by chart
        series=series,
        first=first.isoformat(),
        last=last.isoformat(),
        older=older,
        total=len(runs),
    )


@router.get("/history.csv", name="history_csv")
def history_csv(
    application: ApplicationDep,
    principal: PrincipalDep,
    integration: Text = "",
    status: Text = "",
    since: Text = "",
    until: Text = "",
) -> Response:
    runs, first, last, _ = _collect(
        application, principal, _filters(integration, status, since, until)
    )
    return _csv(runs_csv(runs), f"runs-{first.isoformat()}-{last.isoformat()}.csv")


def _csv(body: str, filename: str) -> Response:
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# -- one run ---------------------------------------------------------------------------------


def _run(application: App, row: IntegrationRow, run_id: int) -> RunSummary:
    try:
        run = application.store.runs.get(run_id)
    except ConfigError:
        raise IntegrationHiddenError(row.name) from None
    if run.integration != row.name:
        raise IntegrationHiddenError(row.name)
    return run


@dataclass(frozen=True, slots=True)
class Link:
    system: str
    url: str | None
    record_id: str


def _links(application: App, row: IntegrationRow) -> Any:
    """A function giving the link to a record of a flow on a side (None when it has none)."""
    systems: dict[Side, tuple[str, Mapping[str, Any]]] = {}
    for side, name in ((Side.CRM, row.crm_connection), (Side.BOOKS, row.books_connection)):
        conn = application.store.connections.get(name)
        systems[side] = (conn.system, conn.settings)
    flows = {f.name: f for f in row.flows}

    def link(flow: str, side: Side | str, record_id: str | None) -> Link | None:
        if not record_id:
            return None
        side = Side(side)
        system, settings = systems[side]
        config = flows.get(flow)
        url = None
        if config is not None:
            module = config.crm_module if side is Side.CRM else config.books_module
            url = record_url(system, settings, module, record_id)
        return Link(system_label(system), url, record_id)

    return link


def _per_flow(counts: Mapping[str, Any]) -> list[tuple[str, str, dict[str, int]]]:
    out: list[tuple[str, str, dict[str, int]]] = []
    for flow, sides in counts.items():
        if not isinstance(sides, Mapping):
            continue
        for side, outcomes in sides.items():
            if isinstance(outcomes, Mapping):
                out.append((str(flow), str(side), {str(k): int(v) for k, v in outcomes.items()}))
    return out


def _retriable(row: IntegrationRow, item: RunItem) -> bool:
    try:
        flow = row.flow(item.flow)
    except ConfigError:
        return False
    return flow.enabled and flow.direction.reads(item.side)


@router.get("/integrations/{name}/runs/{run_id}", name="run_detail")
def run_detail(
    request: Request,
    name: str,
    run_id: int,
    application: ApplicationDep,
    principal: PrincipalDep,
    outcome: Text = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    row = require_integration(application.store, principal, name)
    run = _run(application, row, run_id)
    store = application.store
    chosen: Outcome | None = None
    if outcome:
        try:
            chosen = Outcome(outcome)
        except ValueError:
            chosen = None
    failures = store.runs.items(run_id, Outcome.FAILED, limit=ITEMS_PAGE)
    items = store.runs.items(run_id, chosen, limit=ITEMS_PAGE + 1, offset=offset)
    more = len(items) > ITEMS_PAGE
    return render(
        request,
        "history_run.html",
        active="history",
        integration=row,
        run=run,
        notice=store.runs.notice(run_id),
        totals=totals(dict(run.counts)),
        per_flow=_per_flow(run.counts),
        failures=[(i, _retriable(row, i)) for i in failures],
        items=items[:ITEMS_PAGE],
        next_offset=offset + ITEMS_PAGE if more else None,
        outcome=chosen.value if chosen else "",
        outcomes=[o.value for o in Outcome],
        link=_links(application, row),
        can_retry=runnable(row),
    )


@router.get("/integrations/{name}/runs/{run_id}/items.csv", name="run_items_csv")
def run_items_csv(
    name: str, run_id: int, application: ApplicationDep, principal: PrincipalDep
) -> Response:
    row = require_integration(application.store, principal, name)
    _run(application, row, run_id)
    items = application.store.runs.items(run_id)
    return _csv(items_csv(run_id, items), f"{row.name}-run-{run_id}.csv")


@router.post("/integrations/{name}/runs/{run_id}/retry", name="run_retry")
def run_retry(
    request: Request,
    name: str,
    run_id: int,
    application: ApplicationDep,
    dispatcher: DispatcherDep,
    principal: PrincipalDep,
    flow: Annotated[str, Form(max_length=63)],
    side: Annotated[Side, Form()],
    record_id: Annotated[str, Form(max_length=255)],
) -> RedirectResponse:
    """Sync one failed record again, on its own, through the job runner."""
    row = require_integration(application.store, principal, name)
    _run(application, row, run_id)
    back = RedirectResponse(f"/integrations/{row.name}/runs/{run_id}", status_code=303)
    item = RunItem(flow, side, record_id, Outcome.FAILED)
    if not runnable(row):
        flash(request, f"Integration {row.name} is {row.state.value}: resume it first.", "error")
    elif not _retriable(row, item):
        flash(request, f"Flow {flow} does not sync {side.value} records now.", "error")
    else:
        dispatcher.submit_records(row.id, [RecordChange(flow, side, record_id)])
        flash(request, f"Record {record_id} of flow {flow} queued to sync again.", "success")
    return back
