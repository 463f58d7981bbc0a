"""Manual sync: choose flows, window and options, start a run and follow it live.

"Sync now" queues the run through the app's dispatcher, like the API and the schedules, so the
one-run-per-integration rule holds. The page then follows the next run of the integration over
server-sent events (``/integrations/{name}/runs/{id}/events``); a run started by a worker in
another process is followed through the runs store instead of the live hub. A dry run writes
nothing, so it runs here and now and its planned changes are shown at once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from ledgerbridge.bootstrap import App
from ledgerbridge.domain.config import Direction
from ledgerbridge.domain.errors import ConfigError, LedgerbridgeError
from ledgerbridge.domain.runs import RunKind
from ledgerbridge.engine.lifecycle import runnable
from ledgerbridge.engine.model import NoProgress, RunReport, SyncRequest, Window, WindowKind
from ledgerbridge.portal.deps import PrincipalDep, flash, page_router, render
from ledgerbridge.portal.progress import ProgressHub, RunWatcher, hub_of, sse
from ledgerbridge.store import IntegrationRow
from ledgerbridge.web.access import IntegrationHiddenError, require_integration
from ledgerbridge.web.deps import ApplicationDep, DispatcherDep

router = page_router()

# How often a followed run is looked at (seconds); the hub makes live runs cheap to look at.
POLL_SECONDS = 0.5
# How long the page waits for a queued run to start before it stops asking (seconds).
START_WAIT_SECONDS = 600.0
KEEPALIVE_SECONDS = 15.0
MODES = ("incremental", "full", "window")


@dataclass
class SyncForm:
    """What the form holds, as typed; ``errors`` maps a field to what is wrong with it."""

    flows: list[str]
    mode: str = "incremental"
    since: str = ""
    until: str = ""
    dry_run: bool = False
    email_summary: bool = False
    email: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def _defaults(row: IntegrationRow) -> SyncForm:
    return SyncForm(flows=[f.name for f in row.flows if f.enabled], email=row.notify_email or "")


def parse_form(
    row: IntegrationRow, form: Mapping[str, Any], flows: list[str], today: date
) -> tuple[SyncForm, SyncRequest | None]:
    """The form as typed and, when it is valid, the request it asks for."""
    got = SyncForm(
        flows=flows,
        mode=str(form.get("mode") or "incremental"),
        since=str(form.get("since") or "").strip(),
        until=str(form.get("until") or "").strip(),
        dry_run=form.get("dry_run") == "on",
        email_summary=form.get("email_summary") == "on",
        email=str(form.get("email") or "").strip(),
    )
    known = [f.name for f in row.flows]
    if not flows:
        got.errors["flows"] = "Choose at least one flow."
    elif unknown := [f for f in flows if f not in known]:
        got.errors["flows"] = f"No such flow: {', '.join(unknown)}."
    window = Window()
    if got.mode not in MODES:
        got.errors["mode"] = "Choose incremental, full or a window."
    elif got.mode == "full":
        window = Window(WindowKind.FULL)
    elif got.mode == "window":
        try:
            since = date.fromisoformat(got.since)
        except ValueError:
            got.errors["since"] = "Give the first day of the window as a date (YYYY-MM-DD)."
        else:
            if since > today:
                got.errors["since"] = "The window cannot start in the future."
            else:
                window = _window(got, since, today)
    if got.email_summary:
        if not got.email:
            got.errors["email"] = "Give the address the summary goes to."
        elif "@" not in got.email or any(c.isspace() for c in got.email) or len(got.email) > 254:
            got.errors["email"] = "That is not an e-mail address."
    if got.errors:
        return got, None
    return got, SyncRequest(
        flows=tuple(dict.fromkeys(flows)),
        direction=Direction.BOTH,
        window=window,
        dry_run=got.dry_run,
        email_summary=got.email_summary,
    )


def _window(got: SyncForm, since: date, today: date) -> Window:
    """The engine reads "the last N days" back from the run's start: N days that include the
    whole of the first day; a window that ends before today stops at the end of its last day."""
    days = (today - since).days + 1
    if not got.until:
        return Window(WindowKind.DAYS, days)
    try:
        until = date.fromisoformat(got.until)
    except ValueError:
        got.errors["until"] = "Give the last day of the window as a date (YYYY-MM-DD)."
        return Window(WindowKind.DAYS, days)
    if until < since:
        got.errors["until"] = "The window cannot end before it starts."
    elif until > today:
        got.errors["until"] = "The window cannot end in the future."
    elif until < today:
        return Window(WindowKind.DAYS, days, datetime.combine(until, time.max, UTC))
    return Window(WindowKind.DAYS, days)


def _page(
    request: Request,
    application: App,
    row: IntegrationRow,
    form: SyncForm,
    *,
    status_code: int = 200,
    after: int | None = None,
    report: RunReport | None = None,
    problem: str | None = None,
) -> HTMLResponse:
    runs = application.store.runs.list(row.id, limit=5)
    return render(
        request,
        "sync.html",
        status_code=status_code,
        active="integrations",
        integration=row,
        form=form,
        runs=runs,
        follow_after=after,
        report=report,
        problem=problem,
        runnable=runnable(row),
        today=datetime.now(UTC).date().isoformat(),
    )


@router.get("/integrations/{name}/sync", name="sync_page")
def sync_page(
    request: Request,
    name: str,
    application: ApplicationDep,
    principal: PrincipalDep,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    row = require_integration(application.store, principal, name)
    return _page(request, application, row, _defaults(row), after=after)


@router.post("/integrations/{name}/sync", name="sync_now", response_model=None)
async def sync_now(
    request: Request,
    name: str,
    application: ApplicationDep,
    dispatcher: DispatcherDep,
    principal: PrincipalDep,
    flows: Annotated[list[str] | None, Form()] = None,
) -> Response:
    row = require_integration(application.store, principal, name)
    form_data = await request.form()
    got, sync = parse_form(row, form_data, flows or [], datetime.now(UTC).date())
    if sync is None:
        return _page(request, application, row, got, status_code=422)
    if not runnable(row):
        problem = f"Integration {row.name} is {row.state.value}: resume it before running a sync."
        return _page(request, application, row, got, status_code=409, problem=problem)
    if got.email_summary and got.email != (row.notify_email or ""):
        row = await run_in_threadpool(_save_address, application, row, got.email)
    if sync.dry_run:
        try:
            report = await run_in_threadpool(_dry_run, application, row, sync)
        except LedgerbridgeError as exc:
            return _page(request, application, row, got, status_code=409, problem=str(exc))
        return _page(request, application, row, got, report=report)
    newest = application.store.runs.list(row.id, limit=1, kind=RunKind.MANUAL)
    after = newest[0].id if newest else 0
    dispatcher.submit_sync(row.id, sync)
    flash(request, f"Sync of {row.name} queued: {sync.window.describe()}.", "success")
    return RedirectResponse(f"/integrations/{row.name}/sync?after={after}", status_code=303)


def _save_address(application: App, row: IntegrationRow, email: str) -> IntegrationRow:
    """The summary goes to the integration's address: a new one is kept for next time."""
    config = application.store.integrations.config(row.name)
    application.store.integrations.replace(config.model_copy(update={"notify_email": email}))
    return application.store.integrations.get(row.name)


def _dry_run(application: App, row: IntegrationRow, sync: SyncRequest) -> RunReport:
    try:
        # Its own (silent) progress: a dry run must not replace a real run's live report.
        return application.engine.run(row, application.systems(row), sync, NoProgress())
    finally:
        application.release(row)


# -- following a run -------------------------------------------------------------------------


def _run_of(application: App, row: IntegrationRow, run_id: int) -> None:
    """Refuse a run of another integration like one that does not exist."""
    try:
        run = application.store.runs.get(run_id)
    except ConfigError:
        raise IntegrationHiddenError(row.name) from None
    if run.integration != row.name:
        raise IntegrationHiddenError(row.name)


def _flows_total(row: IntegrationRow, request: Mapping[str, Any]) -> int:
    named = request.get("flows") or []
    return len(named) if named else sum(1 for f in row.flows if f.enabled)


def _watcher(
    application: App, hub: ProgressHub | None, row: IntegrationRow, run_id: int
) -> RunWatcher:
    run = application.store.runs.get(run_id)
    return RunWatcher(
        application.store.runs, hub, row.id, run_id, _flows_total(row, dict(run.request))
    )


@router.get("/integrations/{name}/runs/{run_id}/progress", name="run_progress")
def run_progress(
    request: Request,
    name: str,
    run_id: int,
    application: ApplicationDep,
    principal: PrincipalDep,
) -> JSONResponse:
    """Where the run is now, as JSON: what the page polls when it cannot hold a stream open."""
    row = require_integration(application.store, principal, name)
    _run_of(application, row, run_id)
    snap = _watcher(application, hub_of(request.app), row, run_id).poll()
    return JSONResponse(snap.as_dict())


@router.get("/integrations/{name}/runs/next/events", name="next_run_events")
async def next_run_events(
    request: Request,
    name: str,
    application: ApplicationDep,
    principal: PrincipalDep,
    after: Annotated[int, Query(ge=0)] = 0,
) -> StreamingResponse:
    """Waits for the integration's first run newer than ``after``, then follows it."""
    row = require_integration(application.store, principal, name)
    return _stream(request, application, row, run_id=None, after=after)


@router.get("/integrations/{name}/runs/{run_id}/events", name="run_events")
async def run_events(
    request: Request,
    name: str,
    run_id: int,
    application: ApplicationDep,
    principal: PrincipalDep,
) -> StreamingResponse:
    """The run's progress as server-sent events, until it finishes."""
    row = require_integration(application.store, principal, name)
    await run_in_threadpool(_run_of, application, row, run_id)
    return _stream(request, application, row, run_id=run_id, after=0)


def _newer_run(application: App, row: IntegrationRow, after: int) -> int | None:
    # Manual runs only: a webhook's single-record run may start first and is not the one asked.
    newest = application.store.runs.list(row.id, limit=1, kind=RunKind.MANUAL)
    return newest[0].id if newest and newest[0].id > after else None


def _stream(
    request: Request, application: App, row: IntegrationRow, *, run_id: int | None, after: int
) -> StreamingResponse:
    hub = hub_of(request.app)

    async def events() -> AsyncIterator[str]:
        followed = run_id
        waited = 0.0
        yield "retry: 2000\n\n"
        while followed is None:
            if await request.is_disconnected():
                return
            followed = await run_in_threadpool(_newer_run, application, row, after)
            if followed is None:
                if waited >= START_WAIT_SECONDS:
                    yield sse("timeout", json.dumps({"message": "The run has not started yet."}))
                    return
                if waited % KEEPALIVE_SECONDS < POLL_SECONDS:
                    # A comment now and then keeps proxies from closing an idle stream.
                    yield ": waiting for the run to start\n\n"
                await asyncio.sleep(POLL_SECONDS)
                waited += POLL_SECONDS
        started = {
            "run_id": followed,
            "url": f"/integrations/{row.name}/runs/{followed}",
        }
        yield sse("started", json.dumps(started))
        watcher = await run_in_threadpool(_watcher, application, hub, row, followed)
        last: dict[str, Any] | None = None
        seq = 0
        while True:
            if await request.is_disconnected():
                return
            snap = await run_in_threadpool(watcher.poll)
            data = snap.as_dict()
            if data != last:
                seq += 1
                last = data
                yield sse("progress", json.dumps(data), seq)
            if snap.finished:
                yield sse("finished", json.dumps(data), seq + 1)
                return
            await asyncio.sleep(POLL_SECONDS)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
