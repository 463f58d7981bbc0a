"""The dashboard: each visible integration's health, its last runs and the API budget left."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse

from ledgerbridge.bootstrap import App
from ledgerbridge.domain.runs import RunSummary
from ledgerbridge.portal.deps import PrincipalDep, page_router, render
from ledgerbridge.portal.pages.connections import budget_text
from ledgerbridge.store import IntegrationRow
from ledgerbridge.web.access import visible_integrations
from ledgerbridge.web.deps import ApplicationDep

router = page_router()

LAST_RUNS = 5


@dataclass(frozen=True, slots=True)
class FailingGroup:
    flow: str
    reason: str
    records: int


@dataclass(frozen=True, slots=True)
class Health:
    integration: IntegrationRow
    runs: list[RunSummary]
    failing: list[FailingGroup]
    budgets: list[tuple[str, str]]  # connection name, what is left

    @property
    def last_run(self) -> RunSummary | None:
        return self.runs[0] if self.runs else None

    @property
    def failing_total(self) -> int:
        return sum(g.records for g in self.failing)


def health(application: App, integration: IntegrationRow) -> Health:
    store = application.store
    names = dict.fromkeys((integration.crm_connection, integration.books_connection))
    return Health(
        integration=integration,
        runs=store.runs.list(integration.id, limit=LAST_RUNS),
        failing=[FailingGroup(*g) for g in store.pending.by_reason(integration.id)],
        budgets=[(name, budget_text(application, name)) for name in names],
    )


@router.get("/", name="dashboard")
def dashboard(
    request: Request, application: ApplicationDep, principal: PrincipalDep
) -> HTMLResponse:
    integrations = visible_integrations(application.store, principal)
    return render(
        request,
        "dashboard.html",
        active="dashboard",
        healths=[health(application, row) for row in integrations],
    )
