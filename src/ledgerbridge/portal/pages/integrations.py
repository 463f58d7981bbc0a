"""Integrations: list, create from a recipe over two connections, and show one.

An integration belongs to the user who creates it; only that user and admins see it.
"""

from __future__ import annotations

from typing import Annotated

import pydantic
from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ledgerbridge.bootstrap import App
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.portal.deps import PrincipalDep, flash, page_router, render
from ledgerbridge.portal.systems import BOOKS_SYSTEMS, CRM_SYSTEMS, system_label
from ledgerbridge.recipes import registry
from ledgerbridge.web.access import (
    Principal,
    require_integration,
    visible_connections,
    visible_integrations,
)
from ledgerbridge.web.deps import ApplicationDep

router = page_router()

OPTION_PREFIX = "option."
# Recipes that fit a pair of systems, offered first for it.
RECIPE_LABELS = {
    "zoho_xero": "Zoho CRM + Xero",
    "zoho_books": "Zoho CRM + Zoho Books",
    "starter": "Starter (two in-memory systems, for trying things out)",
}


@router.get("/integrations", name="integrations")
def integrations_page(
    request: Request, application: ApplicationDep, principal: PrincipalDep
) -> HTMLResponse:
    rows = visible_integrations(application.store, principal)
    last = {
        row.name: next(iter(application.store.runs.list(row.id, limit=1)), None) for row in rows
    }
    return render(request, "integrations.html", active="integrations", integrations=rows, last=last)


def _new_page(
    request: Request,
    application: App,
    principal: Principal,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    usable = visible_connections(application.store, principal)
    return render(
        request,
        "integration_new.html",
        status_code=status_code,
        active="integrations",
        crm_connections=[c for c in usable if c.system in CRM_SYSTEMS],
        books_connections=[c for c in usable if c.system in BOOKS_SYSTEMS],
        system_label=system_label,
        recipes=[(key, RECIPE_LABELS.get(key, key)) for key in sorted(registry.RECIPES)],
        options={key: registry.options_of(key) for key in registry.RECIPES},
        values=values or {"recipe": "zoho_xero"},
        error=error,
    )


@router.get("/integrations/new", name="integration_new")
def new_integration_page(
    request: Request, application: ApplicationDep, principal: PrincipalDep
) -> HTMLResponse:
    return _new_page(request, application, principal)


@router.post("/integrations")
async def create_integration(
    request: Request,
    application: ApplicationDep,
    principal: PrincipalDep,
    name: Annotated[str, Form(max_length=63)],
    crm_connection: Annotated[str, Form(max_length=63)],
    books_connection: Annotated[str, Form(max_length=63)],
    recipe: Annotated[str, Form(max_length=63)],
) -> Response:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    # Only the chosen recipe's options, and only those given a value (the rest default).
    allowed = registry.options_of(recipe)
    options = {
        key: str(form.get(f"{OPTION_PREFIX}{recipe}.{key}") or "")
        for key in allowed
        if form.get(f"{OPTION_PREFIX}{recipe}.{key}")
    }
    try:
        usable = {c.name: c.system for c in visible_connections(application.store, principal)}
        for role, chosen, systems in (
            ("CRM", crm_connection, CRM_SYSTEMS),
            ("accounting", books_connection, BOOKS_SYSTEMS),
        ):
            if usable.get(chosen) not in systems:
                raise ConfigError(f"choose one of your {role} connections")
        config = registry.build(
            recipe,
            name=name.strip(),
            crm_connection=crm_connection,
            books_connection=books_connection,
            options=options or None,
        )
        row = application.store.integrations.create(config, owner_id=principal.user_id)
    except ConfigError as exc:
        return _new_page(
            request, application, principal, values=values, error=str(exc), status_code=422
        )
    except pydantic.ValidationError as exc:  # e.g. a name the config model refuses
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()
        )
        return _new_page(
            request, application, principal, values=values, error=problems, status_code=422
        )
    flash(
        request,
        f"Integration {row.name} is created. Fetch the data first so records already on both "
        "sides are linked, not created twice.",
        "success",
    )
    return RedirectResponse(f"/integrations/{row.name}/settings", status_code=303)


@router.get("/integrations/{name}", name="integration")
def integration_page(
    request: Request, name: str, application: ApplicationDep, principal: PrincipalDep
) -> HTMLResponse:
    row = require_integration(application.store, principal, name)
    store = application.store
    return render(
        request,
        "integration.html",
        active="integrations",
        integration=row,
        runs=store.runs.list(row.id, limit=10),
        bindings={flow.name: store.bindings.count(row.id, flow.name) for flow in row.flows},
        recipe_label=RECIPE_LABELS.get(row.recipe, row.recipe),
    )
