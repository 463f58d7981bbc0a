"""The dashboard: every visible integration's health at a glance."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from ledgerbridge.portal.deps import PrincipalDep, page_router, render
from ledgerbridge.web.access import visible_integrations
from ledgerbridge.web.deps import ApplicationDep

router = page_router()


@router.get("/", name="dashboard")
def dashboard(
    request: Request, application: ApplicationDep, principal: PrincipalDep
) -> HTMLResponse:
    integrations = visible_integrations(application.store, principal)
    return render(request, "dashboard.html", active="dashboard", integrations=integrations)
