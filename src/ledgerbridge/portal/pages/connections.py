"""Connections: connect Zoho CRM, Xero and Zoho Books through their OAuth flows.

The flow: the form stores the connection (client id in settings, client secret encrypted) and
redirects to the vendor's authorize URL with a random ``state`` kept in the session, so only
the browser that started the flow can finish it. The callback trades the code for tokens
(stored encrypted), then the Xero tenant or Zoho Books organization is chosen (at once when
there is only one). A sandbox server plays the vendor's accounts or identity server.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ledgerbridge.bootstrap import App, token_store
from ledgerbridge.connectors.base import Budgeted
from ledgerbridge.connectors.http.oauth import exchange_code
from ledgerbridge.domain.errors import ConfigError, LedgerbridgeError, StateError
from ledgerbridge.portal.deps import PrincipalDep, flash, page_router, render
from ledgerbridge.portal.systems import (
    CLIENT_SECRET,
    SYSTEMS,
    TOKENS,
    ZOHO_DATA_CENTRES,
    Server,
    check_name,
    chosen,
    connection_settings,
    needs_choice,
    oauth_client,
    system_label,
    zoho_accounts_server,
)
from ledgerbridge.store import ConnectionRow
from ledgerbridge.web.access import Principal, require_connection, visible_connections
from ledgerbridge.web.deps import ApplicationDep

router = page_router()

OAUTH_KEY = "oauth"
# An authorization not finished within this long is forgotten.
STATE_TTL_SECONDS = 900
_MAX_PENDING = 5
_HTTP_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class Choice:
    id: str
    name: str
    detail: str


@dataclass(frozen=True, slots=True)
class ConnectionView:
    row: ConnectionRow
    label: str
    connected: bool
    needs_choice: bool
    chosen_name: str | None
    server: str
    manageable: bool


def redirect_uri(request: Request, application: App) -> str:
    """Where the vendor sends the browser back: under the public URL when one is set."""
    public = application.settings.public_url
    if public:
        return f"{public}/connections/callback"
    return str(request.url_for("connection_callback"))


def _view(application: App, principal: Principal, row: ConnectionRow) -> ConnectionView:
    stored, _ = application.store.connections.secrets(row.name)
    return ConnectionView(
        row=row,
        label=system_label(row.system),
        connected=bool(stored.get(TOKENS)) or row.system == "memory",
        needs_choice=needs_choice(row.system, row.settings),
        chosen_name=str(row.settings.get("chosen_name") or "") or chosen(row.system, row.settings),
        server=str(row.settings.get("server") or ("built-in" if row.system == "memory" else "")),
        manageable=principal.can_manage(row),
    )


def budget_text(application: App, name: str) -> str:
    """What is left of the connection's daily API calls, as its rate limiter knows it."""
    try:
        connector = application.connector(name)
    except LedgerbridgeError:
        return "not known (not connected)"
    if not isinstance(connector, Budgeted):
        return "no daily limit"
    budget = connector.budget()
    if budget is None:
        return "not known yet"
    text = f"{budget.remaining:,} calls left today"
    if budget.resets_at is not None:
        text += f" (resets {budget.resets_at:%H:%M} UTC)"
    return text


@router.get("/connections", name="connections")
def connections_page(
    request: Request, application: ApplicationDep, principal: PrincipalDep
) -> HTMLResponse:
    views = [
        _view(application, principal, r) for r in visible_connections(application.store, principal)
    ]
    return render(
        request,
        "connections.html",
        active="connections",
        connections=views,
        budgets={v.row.name: budget_text(application, v.row.name) for v in views if v.connected},
    )


def _form_page(
    request: Request,
    application: App,
    *,
    error: str | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "connection_new.html",
        status_code=status_code,
        active="connections",
        systems=SYSTEMS,
        data_centres=ZOHO_DATA_CENTRES,
        redirect_uri=redirect_uri(request, application),
        error=error,
        values=values or {"server": "real", "data_centre": "com", "system": "xero"},
    )


@router.get("/connections/new", name="connection_new")
def new_connection_page(request: Request, application: ApplicationDep) -> HTMLResponse:
    return _form_page(request, application)


@router.post("/connections")
def add_connection(
    request: Request,
    application: ApplicationDep,
    principal: PrincipalDep,
    name: Annotated[str, Form(max_length=63)],
    system: Annotated[str, Form(max_length=32)],
    server: Annotated[str, Form(max_length=16)] = "real",
    base_url: Annotated[str, Form(max_length=500)] = "",
    data_centre: Annotated[str, Form(max_length=16)] = "com",
    client_id: Annotated[str, Form(max_length=500)] = "",
    client_secret: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    values = {
        "name": name,
        "system": system,
        "server": server,
        "base_url": base_url,
        "data_centre": data_centre,
        "client_id": client_id,
    }
    try:
        where: Server = "sandbox" if server == "sandbox" else "real"
        info = SYSTEMS.get(system)
        if info is None:
            raise ConfigError(f"choose one of {', '.join(s.label for s in SYSTEMS.values())}")
        if where == "sandbox" and not client_id.strip():
            # The sandbox publishes its app's credentials; nobody has to look them up.
            client_id, client_secret = info.sandbox_client
        if not client_secret.strip():
            raise ConfigError("the app's client secret is needed (from the developer console)")
        settings = connection_settings(
            system,
            client_id=client_id,
            redirect_uri=redirect_uri(request, application),
            server=where,
            base_url=base_url,
            data_centre=data_centre,
        )
        row = application.store.connections.add(
            check_name(name),
            system,
            settings,
            {CLIENT_SECRET: client_secret.strip()},
            owner_id=principal.user_id,
        )
    except ConfigError as exc:
        return _form_page(request, application, error=str(exc), status_code=422, values=values)
    return _authorize(request, application, row)


def _authorize(request: Request, application: App, row: ConnectionRow) -> Response:
    """Send the browser to the vendor's consent page, remembering the flow in the session."""
    stored, _ = application.store.connections.secrets(row.name)
    client = oauth_client(row.system, row.settings, str(stored.get(CLIENT_SECRET) or ""))
    state = secrets.token_urlsafe(24)
    now = time.time()
    pending: dict[str, Any] = {
        k: v
        for k, v in dict(request.session.get(OAUTH_KEY) or {}).items()
        if isinstance(v, dict) and now - float(v.get("at", 0)) < STATE_TTL_SECONDS
    }
    pending[state] = {"connection": row.name, "at": now}
    # Keep the newest few: a user who starts many flows finishes the last ones.
    newest = sorted(pending.items(), key=lambda kv: float(kv[1]["at"]))[-_MAX_PENDING:]
    request.session[OAUTH_KEY] = dict(newest)
    return RedirectResponse(client.authorization_url(state), status_code=303)


@router.post("/connections/{name}/reconnect")
def reconnect(
    request: Request, name: str, application: ApplicationDep, principal: PrincipalDep
) -> Response:
    row = require_connection(application.store, principal, name)
    if row.system not in SYSTEMS:
        flash(request, f"{name} is built in and needs no authorisation.", "error")
        return RedirectResponse("/connections", status_code=303)
    return _authorize(request, application, row)


@router.get("/connections/callback", name="connection_callback")
def callback(
    request: Request,
    application: ApplicationDep,
    principal: PrincipalDep,
    state: str = "",
    code: str = "",
    error: str = "",
) -> Response:
    pending = dict(request.session.get(OAUTH_KEY) or {})
    started = pending.pop(state, None) if state else None
    request.session[OAUTH_KEY] = pending
    if (
        not isinstance(started, dict)
        or time.time() - float(started.get("at", 0)) > STATE_TTL_SECONDS
    ):
        return render(
            request,
            "error.html",
            status_code=400,
            title="Authorisation not recognised",
            message="This authorisation was not started from this browser or took too long. "
            "Start it again from the Connections page.",
        )
    name = str(started["connection"])
    row = require_connection(application.store, principal, name)
    if error or not code:
        flash(
            request,
            f"{system_label(row.system)} did not authorise {name}: {error or 'no code'}.",
            "error",
        )
        return RedirectResponse("/connections", status_code=303)
    named_server = request.query_params.get("accounts-server")  # Zoho: the user's data centre
    try:
        row = _finish(application, row, code, named_server)
    except LedgerbridgeError as exc:
        flash(request, f"Connecting {name} failed: {exc}", "error")
        return RedirectResponse("/connections", status_code=303)
    if needs_choice(row.system, row.settings):
        return RedirectResponse(f"/connections/{name}/choose", status_code=303)
    flash(request, f"{name} is connected.", "success")
    return RedirectResponse("/connections", status_code=303)


def _finish(
    application: App, row: ConnectionRow, code: str, named_server: str | None
) -> ConnectionRow:
    """Trade the code for tokens, store them, and pick the only tenant or organization."""
    connections = application.store.connections
    settings = dict(row.settings)
    if row.system != "xero":
        server = zoho_accounts_server(settings, named_server)
        if server is not None:
            settings["accounts_url"] = server
    stored, version = connections.secrets(row.name)
    client = oauth_client(row.system, settings, str(stored.get(CLIENT_SECRET) or ""))
    with httpx.Client(timeout=_HTTP_TIMEOUT) as http:
        tokens = exchange_code(http, client, code)
    if row.system != "xero" and tokens.extra.get("api_domain"):
        settings["api_domain"] = str(tokens.extra["api_domain"])
    if not connections.replace_secrets(
        row.name, {**stored, TOKENS: tokens.to_secrets()}, expected_version=version
    ):
        raise StateError("the connection changed while it was being authorised; try again")
    info = SYSTEMS[row.system]
    if info.choice_setting is not None:
        # A reconnection may have been granted other organisations: choose again if needed.
        options = choices(application, row.name, row.system, settings)
        current = settings.get(info.choice_setting)
        if not any(o.id == current for o in options):
            settings.pop(info.choice_setting, None)
            settings.pop("chosen_name", None)
        if len(options) == 1:
            settings[info.choice_setting] = options[0].id
            settings["chosen_name"] = options[0].name
    row = connections.update_settings(row.name, settings)
    application.forget(row.name)
    return row


def choices(application: App, name: str, system: str, settings: dict[str, Any]) -> list[Choice]:
    """The Xero tenants or Zoho Books organizations the authorisation reaches."""
    store = token_store(application, name)
    with httpx.Client(timeout=_HTTP_TIMEOUT) as http:
        if system == "xero":
            from ledgerbridge.connectors.xero.connector import from_connection as xero_connector

            xero = xero_connector({**settings, "tenant_id": ""}, store, http=http)
            return [
                Choice(t.tenant_id, t.tenant_name or t.tenant_id, t.tenant_type)
                for t in xero.tenants()
            ]
        if system == "zoho_books":
            from ledgerbridge.connectors.zoho_books.connector import (
                from_connection as books_connector,
            )

            # Listing organizations needs none chosen; a stand-in id satisfies the constructor.
            books = books_connector({**settings, "organization_id": "none-yet"}, store, http=http)
            return [
                Choice(
                    o.organization_id,
                    o.name,
                    o.currency_code + (" (default)" if o.is_default else ""),
                )
                for o in books.organizations()
            ]
    return []


@router.get("/connections/{name}/choose", name="connection_choose")
def choose_page(
    request: Request, name: str, application: ApplicationDep, principal: PrincipalDep
) -> HTMLResponse:
    row = require_connection(application.store, principal, name)
    info = SYSTEMS.get(row.system)
    if info is None or info.choice is None:
        return render(
            request,
            "error.html",
            status_code=404,
            title="Nothing to choose",
            message=f"{system_label(row.system)} connections have no organisation to choose.",
        )
    try:
        options = choices(application, name, row.system, dict(row.settings))
        problem = (
            None
            if options
            else "The authorisation reaches no organisation; reconnect and tick one."
        )
    except LedgerbridgeError as exc:
        options, problem = [], f"The organisations could not be listed: {exc}"
    return render(
        request,
        "connection_choose.html",
        active="connections",
        connection=row,
        info=info,
        options=options,
        current=chosen(row.system, row.settings),
        problem=problem,
    )


@router.post("/connections/{name}/choose")
def choose(
    request: Request,
    name: str,
    application: ApplicationDep,
    principal: PrincipalDep,
    choice: Annotated[str, Form(max_length=255)],
) -> Response:
    row = require_connection(application.store, principal, name)
    info = SYSTEMS.get(row.system)
    if info is None or info.choice_setting is None:
        return RedirectResponse("/connections", status_code=303)
    settings = dict(row.settings)
    try:
        options = {o.id: o for o in choices(application, name, row.system, settings)}
    except LedgerbridgeError as exc:
        flash(request, f"The organisations could not be listed: {exc}", "error")
        return RedirectResponse(f"/connections/{name}/choose", status_code=303)
    picked = options.get(choice)
    if picked is None:
        flash(request, "Choose one of the organisations listed.", "error")
        return RedirectResponse(f"/connections/{name}/choose", status_code=303)
    settings[info.choice_setting] = picked.id
    settings["chosen_name"] = picked.name
    application.store.connections.update_settings(name, settings)
    application.forget(name)
    flash(request, f"{name} now uses {picked.name}.", "success")
    return RedirectResponse("/connections", status_code=303)


@router.post("/connections/{name}/disconnect")
def disconnect(
    request: Request, name: str, application: ApplicationDep, principal: PrincipalDep
) -> Response:
    """Forget the tokens; the connection, its app credentials and settings stay."""
    require_connection(application.store, principal, name)
    connections = application.store.connections
    for _ in range(3):  # a token refresh may race us; its write wins, then we retry
        stored, version = connections.secrets(name)
        kept = {k: v for k, v in stored.items() if k not in (TOKENS, "channel_tokens")}
        if connections.replace_secrets(name, kept, expected_version=version):
            break
    application.forget(name)
    flash(request, f"{name} is disconnected: its tokens are deleted. Reconnect to use it again.")
    return RedirectResponse("/connections", status_code=303)


@router.get("/connections/{name}/delete", name="connection_delete")
def delete_page(
    request: Request, name: str, application: ApplicationDep, principal: PrincipalDep
) -> HTMLResponse:
    row = require_connection(application.store, principal, name)
    return render(request, "connection_delete.html", active="connections", connection=row)


@router.post("/connections/{name}/delete")
def delete(
    request: Request, name: str, application: ApplicationDep, principal: PrincipalDep
) -> Response:
    require_connection(application.store, principal, name)
    try:
        application.store.connections.delete(name)
    except ConfigError as exc:
        flash(request, str(exc), "error")
        return RedirectResponse("/connections", status_code=303)
    except StateError as exc:
        flash(request, f"{name} was not deleted: {exc}.", "error")
        return RedirectResponse("/connections", status_code=303)
    application.forget(name)
    flash(request, f"Connection {name} is deleted.", "success")
    return RedirectResponse("/connections", status_code=303)
