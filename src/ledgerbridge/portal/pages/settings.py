"""An integration's settings: fetch, flows (duplicates, views), e-mail, schedule, CRM button,
and its lifecycle (pause, resume, disable, enable, delete)."""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

import pydantic
from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ledgerbridge.bootstrap import App
from ledgerbridge.domain.config import (
    Direction,
    DuplicatePolicy,
    IntegrationConfig,
    ScheduleConfig,
    ViewOperator,
)
from ledgerbridge.domain.errors import ConfigError, LedgerbridgeError
from ledgerbridge.domain.records import Side
from ledgerbridge.engine import lifecycle
from ledgerbridge.engine.fetch import fetch
from ledgerbridge.jobs import schedule as schedules
from ledgerbridge.portal.deps import PrincipalDep, flash, page_router, render
from ledgerbridge.portal.viewtext import build_views, custom_view_id, view_text
from ledgerbridge.store import IntegrationRow, IntegrationState
from ledgerbridge.web.access import require_integration
from ledgerbridge.web.button import button_url
from ledgerbridge.web.deps import ApplicationDep

router = page_router()
log = logging.getLogger(__name__)

KEEP_CHOICES = {
    lifecycle.Keep.ALL: "Keep everything in the accounting system as it is.",
    lifecycle.Keep.WITH_TRANSACTIONS: "Archive the records this integration created there that "
    "have no transactions; keep the rest.",
}


def _back(name: str, section: str = "") -> RedirectResponse:
    return RedirectResponse(
        f"/integrations/{name}/settings" + (f"#{section}" if section else ""), status_code=303
    )


def _problem(exc: pydantic.ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()
    )


def save_config(application: App, row: IntegrationRow, changes: dict[str, Any]) -> None:
    """Store the integration's config with ``changes`` applied, validated as a whole."""
    current = application.store.integrations.config(row.name).model_dump(mode="json")
    try:
        config = IntegrationConfig.model_validate({**current, **changes})
    except pydantic.ValidationError as exc:
        raise ConfigError(_problem(exc)) from None
    application.store.integrations.replace(config)


def button_urls(application: App, row: IntegrationRow) -> list[tuple[str, str, str]] | None:
    """(flow, CRM module, URL) for each flow, or None without a public URL to build them on."""
    public = application.settings.public_url
    if not public:
        return None
    secret = application.store.integrations.button_secret(row.name)
    return [
        (f.name, f.crm_module, button_url(public, row.name, f.name, f.crm_module, secret))
        for f in row.flows
    ]


@router.get("/integrations/{name}/settings", name="integration_settings")
def settings_page(
    request: Request, name: str, application: ApplicationDep, principal: PrincipalDep
) -> HTMLResponse:
    row = require_integration(application.store, principal, name)
    flows = [
        {
            "config": f,
            "crm_view": view_text(f.views, Side.CRM),
            "books_view": view_text(f.views, Side.BOOKS),
            "custom_view_id": custom_view_id(f.views),
        }
        for f in row.flows
    ]
    return render(
        request,
        "settings.html",
        active="integrations",
        integration=row,
        flows=flows,
        policies=list(DuplicatePolicy),
        directions=list(Direction),
        operators=[op.value for op in ViewOperator],
        schedule=row.schedule,
        schedule_text=schedules.describe(row.schedule),
        buttons=button_urls(application, row),
        running=application.store.runs.running(row.id),
    )


# -- fetch ---------------------------------------------------------------------------------------


def start_fetch(application: App, row: IntegrationRow) -> threading.Thread:
    """Run the initial match in the background; it is recorded as a run like any other."""

    def work() -> None:
        try:
            fetch(application.engine, row, application.systems(row))
        except LedgerbridgeError as exc:
            # The run records the failure; this line is for the operator's log.
            log.warning("fetch of integration %s failed: %s", row.name, exc)
        except Exception:
            log.exception("fetch of integration %s failed", row.name)
        finally:
            application.release(row)

    thread = threading.Thread(target=work, name=f"fetch-{row.name}", daemon=True)
    thread.start()
    return thread


@router.post("/integrations/{name}/fetch", name="integration_fetch")
def fetch_data(
    request: Request, name: str, application: ApplicationDep, principal: PrincipalDep
) -> Response:
    row = require_integration(application.store, principal, name)
    if row.state is IntegrationState.DISABLED:
        flash(request, f"{name} is disabled; enable it before fetching data.", "error")
        return _back(name, "fetch")
    if application.store.runs.running(row.id) is not None:
        flash(request, "A run of this integration is in progress; fetch once it finished.", "error")
        return _back(name, "fetch")
    start_fetch(application, row)
    flash(
        request,
        "Fetching data: records already on both sides are being linked. The run appears in "
        "the history.",
        "success",
    )
    return _back(name, "fetch")


# -- flows ---------------------------------------------------------------------------------------


@router.post("/integrations/{name}/settings/flows/{flow}", name="flow_settings")
def save_flow(
    request: Request,
    name: str,
    flow: str,
    application: ApplicationDep,
    principal: PrincipalDep,
    duplicate_policy: Annotated[str, Form(max_length=16)],
    enabled: Annotated[str, Form(max_length=8)] = "",
    crm_view: Annotated[str, Form(max_length=20_000)] = "",
    books_view: Annotated[str, Form(max_length=20_000)] = "",
    custom_view: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    row = require_integration(application.store, principal, name)
    try:
        current = row.flow(flow)
        policy = DuplicatePolicy(duplicate_policy)
        views = build_views(crm_view, books_view, custom_view)
        updated = current.model_dump(mode="json") | {
            "duplicate_policy": policy.value,
            "enabled": bool(enabled),
            "views": [v.model_dump(mode="json") for v in views],
        }
        flows = [updated if f.name == flow else f.model_dump(mode="json") for f in row.flows]
        save_config(application, row, {"flows": flows})
    except ValueError as exc:  # an unknown policy, a condition the model refuses
        flash(request, f"Flow {flow} was not saved: {exc}", "error")
        return _back(name, f"flow-{flow}")
    except ConfigError as exc:
        flash(request, f"Flow {flow} was not saved: {exc}", "error")
        return _back(name, f"flow-{flow}")
    flash(request, f"Flow {flow} is saved.", "success")
    return _back(name, f"flow-{flow}")


# -- notification e-mail and schedule -----------------------------------------------------------


@router.post("/integrations/{name}/settings/notify", name="notify_settings")
def save_notify(
    request: Request,
    name: str,
    application: ApplicationDep,
    principal: PrincipalDep,
    notify_email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    row = require_integration(application.store, principal, name)
    address = notify_email.strip() or None
    if address is not None and ("@" not in address or " " in address):
        flash(request, f"{address!r} is not an e-mail address.", "error")
        return _back(name, "notify")
    try:
        save_config(application, row, {"notify_email": address})
    except ConfigError as exc:
        flash(request, f"The e-mail address was not saved: {exc}", "error")
        return _back(name, "notify")
    flash(
        request,
        f"Summaries go to {address}." if address else "No summaries are e-mailed.",
        "success",
    )
    return _back(name, "notify")


@router.post("/integrations/{name}/settings/schedule", name="schedule_settings")
async def save_schedule(
    request: Request,
    name: str,
    application: ApplicationDep,
    principal: PrincipalDep,
) -> Response:
    row = require_integration(application.store, principal, name)
    form = await request.form()
    mode = str(form.get("mode") or "interval")
    try:
        interval = str(form.get("interval_minutes") or "").strip()
        times = tuple(
            t.strip()
            for t in str(form.get("times") or "").replace(";", ",").split(",")
            if t.strip()
        )
        for value in times:
            schedules.parse_time(value)
        known = {f.name for f in row.flows}
        chosen = tuple(str(v) for v in form.getlist("flows") if str(v) in known)
        candidate = ScheduleConfig.model_validate(
            {
                "enabled": bool(form.get("enabled")),
                "interval_minutes": int(interval) if mode == "interval" and interval else None,
                "times": times if mode == "times" else (),
                "timezone": str(form.get("timezone") or "UTC").strip() or "UTC",
                # Every flow ticked means all flows, including ones added later.
                "flows": () if set(chosen) == known else chosen,
                "direction": str(form.get("direction") or Direction.BOTH.value),
                "email_summary": bool(form.get("email_summary")),
            }
        )
        if mode == "interval" and candidate.interval_minutes is None and candidate.enabled:
            raise ConfigError("enter the minutes between runs (5 or more)")
        if mode == "times" and not times and candidate.enabled:
            raise ConfigError("enter the times of day, e.g. 07:00, 13:00")
        schedules.validate(candidate)
        save_config(application, row, {"schedule": candidate.model_dump(mode="json")})
    except pydantic.ValidationError as exc:
        flash(request, f"The schedule was not saved: {_problem(exc)}", "error")
        return _back(name, "schedule")
    except (ConfigError, ValueError) as exc:
        flash(request, f"The schedule was not saved: {exc}", "error")
        return _back(name, "schedule")
    flash(request, f"Automatic sync: {schedules.describe(candidate)}.", "success")
    return _back(name, "schedule")


# -- the CRM button ----------------------------------------------------------------------------


@router.post("/integrations/{name}/settings/button/rotate", name="button_rotate")
def rotate_button(
    request: Request, name: str, application: ApplicationDep, principal: PrincipalDep
) -> Response:
    require_integration(application.store, principal, name)
    application.store.integrations.rotate_button_secret(name)
    flash(
        request,
        "The button secret is new: update the URL of every Sync button in Zoho CRM.",
        "success",
    )
    return _back(name, "button")


# -- lifecycle -----------------------------------------------------------------------------------

_STATE_CHANGES = {
    "pause": (lifecycle.pause, "is paused: nothing runs until it is resumed."),
    "resume": (lifecycle.resume, "is running again; changes made meanwhile sync now."),
    "disable": (lifecycle.disable, "is disabled."),
    "enable": (lifecycle.enable, "is enabled."),
}


def _state_route(action: str) -> None:
    do, outcome = _STATE_CHANGES[action]

    def change_state(
        request: Request, name: str, application: ApplicationDep, principal: PrincipalDep
    ) -> Response:
        require_integration(application.store, principal, name)
        try:
            do(application.store, name)
        except LedgerbridgeError as exc:
            flash(request, str(exc), "error")
            return _back(name, "lifecycle")
        flash(request, f"{name} {outcome}", "success")
        return _back(name, "lifecycle")

    router.add_api_route(
        f"/integrations/{{name}}/{action}",
        change_state,
        methods=["POST"],
        name=f"integration_{action}",
    )


for _action in _STATE_CHANGES:
    _state_route(_action)


@router.get("/integrations/{name}/delete", name="integration_delete")
def delete_page(
    request: Request, name: str, application: ApplicationDep, principal: PrincipalDep
) -> HTMLResponse:
    row = require_integration(application.store, principal, name)
    return render(
        request,
        "integration_delete.html",
        active="integrations",
        integration=row,
        keep_choices=KEEP_CHOICES,
        bindings=application.store.bindings.count(row.id),
        error=None,
    )


@router.post("/integrations/{name}/delete")
def delete(
    request: Request,
    name: str,
    application: ApplicationDep,
    principal: PrincipalDep,
    keep: Annotated[str, Form(max_length=32)],
    confirm_name: Annotated[str, Form(max_length=63)] = "",
) -> Response:
    row = require_integration(application.store, principal, name)

    def refuse(message: str) -> HTMLResponse:
        return render(
            request,
            "integration_delete.html",
            status_code=422,
            active="integrations",
            integration=row,
            keep_choices=KEEP_CHOICES,
            bindings=application.store.bindings.count(row.id),
            error=message,
        )

    if confirm_name.strip() != name:
        return refuse(f"Type the integration's name, {name}, to confirm.")
    try:
        choice = lifecycle.Keep(keep)
    except ValueError:
        return refuse("Choose what happens to the records in the accounting system.")
    try:
        # Deleting needs a disabled integration: confirming here is that step as well.
        if row.state is not IntegrationState.DISABLED:
            lifecycle.disable(application.store, name)
        systems = application.systems(row) if choice is lifecycle.Keep.WITH_TRANSACTIONS else None
        report = lifecycle.delete(application.store, name, choice, systems)
    except LedgerbridgeError as exc:
        return refuse(str(exc))
    message = f"Integration {name} is deleted ({report.bindings_removed} links removed"
    if choice is lifecycle.Keep.WITH_TRANSACTIONS:
        message += f", {report.archived_total} records archived"
    flash(request, message + ").", "success")
    return RedirectResponse("/integrations", status_code=303)
