"""Run history over the API: an integration's runs, one run, and the records it touched.

Lists page with a cursor: each page answers a ``Link: <...>; rel="next"`` header (RFC 8288)
while there is more, so a client follows links instead of building URLs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.runs import Outcome, RunKind, RunStatus, RunSummary
from ledgerbridge.store import Store
from ledgerbridge.web.access import Principal
from ledgerbridge.web.api.common import (
    NOT_FOUND,
    IntegrationName,
    PrincipalDep,
    api_router,
    integration_for,
    problem,
)
from ledgerbridge.web.api.models import RunDetail, RunItemOut, RunOut
from ledgerbridge.web.api.problems import RefusedError
from ledgerbridge.web.deps import ApplicationDep

router = api_router("runs")

RUN_NOT_FOUND = problem(
    "No such run, or one of an integration this token may not see.", "no run with id 42"
)
_LINK = {
    "Link": {
        "description": 'The next page as `<URL>; rel="next"`, while there is one.',
        "schema": {"type": "string"},
    }
}


def _next(request: Request, response: Response, **params: int) -> None:
    url = request.url.include_query_params(**params)
    response.headers["Link"] = f'<{url}>; rel="next"'


def _run(store: Store, principal: Principal, run_id: int) -> RunSummary:
    missing = RefusedError(404, f"no run with id {run_id}")
    try:
        run = store.runs.get(run_id)
    except ConfigError:
        raise missing from None
    try:
        integration_for(store, principal, run.integration)
    except RefusedError:
        raise missing from None
    return run


@router.get(
    "/integrations/{name}/runs",
    summary="List an integration's runs",
    responses={200: {"headers": _LINK}, 404: NOT_FOUND},
)
def list_runs(
    name: IntegrationName,
    application: ApplicationDep,
    principal: PrincipalDep,
    request: Request,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=200, description="How many runs, newest first.")] = 20,
    before: Annotated[
        int | None, Query(ge=1, description="Only runs older than this id (the next page).")
    ] = None,
    status: Annotated[RunStatus | None, Query(description="Only runs with this status.")] = None,
    kind: Annotated[RunKind | None, Query(description="Only runs of this kind.")] = None,
) -> list[RunOut]:
    """The integration's runs, newest first; follow the `Link` header for older ones."""
    store = application.store
    integration = integration_for(store, principal, name)
    runs = store.runs.list(
        integration.id, limit=limit + 1, before_id=before, status=status, kind=kind
    )
    if len(runs) > limit:
        runs = runs[:limit]
        _next(request, response, before=runs[-1].id)
    return [RunOut.of(r) for r in runs]


@router.get("/runs/{run_id}", summary="Show one run", responses={404: RUN_NOT_FOUND})
def get_run(run_id: int, application: ApplicationDep, principal: PrincipalDep) -> RunDetail:
    """One run with every record it touched."""
    store = application.store
    run = _run(store, principal, run_id)
    notice = store.runs.notice(run_id)
    items = [RunItemOut.of(i) for i in store.runs.items(run_id)]
    return RunDetail(**RunOut.of(run).model_dump(), notice=notice, items=items)


@router.get(
    "/runs/{run_id}/items",
    summary="List the records a run touched",
    responses={200: {"headers": _LINK}, 404: RUN_NOT_FOUND},
)
def list_run_items(
    run_id: int,
    application: ApplicationDep,
    principal: PrincipalDep,
    request: Request,
    response: Response,
    outcome: Annotated[
        Outcome | None, Query(description="Only items with this outcome, e.g. `failed`.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many items.")] = 100,
    offset: Annotated[int, Query(ge=0, description="How many items to skip.")] = 0,
) -> list[RunItemOut]:
    """A run's items in the order they were recorded; follow the `Link` header for more."""
    store = application.store
    _run(store, principal, run_id)
    items = store.runs.items(run_id, outcome=outcome, limit=limit + 1, offset=offset)
    if len(items) > limit:
        items = items[:limit]
        _next(request, response, offset=offset + limit)
    return [RunItemOut.of(i) for i in items]
