"""The REST API routes under ``/api/v1``: queue runs and single records, read run history.

Every route needs a bearer token (see ``tokens.py``); refusals are problem documents.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, status

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Side
from ledgerbridge.engine.lifecycle import runnable
from ledgerbridge.jobs.dispatch import RecordChange
from ledgerbridge.store import IntegrationRow, IntegrationState, Store
from ledgerbridge.web.api.models import (
    Problem,
    RecordQueued,
    RunDetail,
    RunItemOut,
    RunOut,
    SyncIn,
    SyncQueued,
)
from ledgerbridge.web.api.problems import API_PREFIX, RefusedError, install_handlers
from ledgerbridge.web.api.tokens import require_token
from ledgerbridge.web.deps import ApplicationDep, DispatcherDep

_PROBLEM = "application/problem+json"


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {_PROBLEM: {}}}


router = APIRouter(
    prefix=API_PREFIX,
    tags=["api"],
    dependencies=[Depends(require_token)],
    responses={
        401: _problem("No API token, or one that is not valid or was revoked."),
        422: _problem("The request names a field that is not valid, and how to fix it."),
    },
)

IntegrationName = Annotated[str, Path(max_length=63, description="The integration's name.")]


def _integration(store: Store, name: str) -> IntegrationRow:
    try:
        return store.integrations.get(name)
    except ConfigError as exc:
        raise RefusedError(
            404, f"no integration named {name!r}; `ledgerbridge integration list` shows the names"
        ) from exc


def _runnable(integration: IntegrationRow) -> IntegrationRow:
    if runnable(integration):
        return integration
    name = integration.name
    if integration.state is IntegrationState.PAUSED:
        raise RefusedError(
            409,
            f"integration {name} is paused; `ledgerbridge integration resume {name}` makes it "
            "run again",
        )
    raise RefusedError(
        409,
        f"integration {name} is {integration.state.value}; `ledgerbridge integration enable "
        f"{name}` makes it run again",
    )


@router.post(
    "/integrations/{name}/sync",
    status_code=status.HTTP_202_ACCEPTED,
    responses={404: _problem("No such integration."), 409: _problem("Paused or disabled.")},
)
def sync_integration(
    name: IntegrationName,
    application: ApplicationDep,
    dispatcher: DispatcherDep,
    body: SyncIn | None = None,
) -> SyncQueued:
    """Queue a run of the integration: every enabled flow, or the flows named."""
    asked = body or SyncIn()
    integration = _runnable(_integration(application.store, name))
    known = [f.name for f in integration.flows]
    unknown = [f for f in asked.flows if f not in known]
    if unknown:
        raise RefusedError(
            422,
            f"flows: integration {name} has no flow named {', '.join(map(repr, unknown))}; "
            f"use some of: {', '.join(known) or 'none'} (or leave flows out for all enabled)",
        )
    request = asked.request()
    dispatcher.submit_sync(integration.id, request)
    return SyncQueued(
        integration=name,
        flows=list(request.flows),
        direction=request.direction,
        window=asked.window,
        email_summary=request.email_summary,
    )


@router.post(
    "/integrations/{name}/records/{flow}/{side}/{record_id}/sync",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        404: _problem("No such integration or flow."),
        409: _problem("Paused or disabled, or the flow does not read that side."),
    },
)
def sync_record(
    name: IntegrationName,
    flow: Annotated[str, Path(max_length=63)],
    side: Side,
    record_id: Annotated[str, Path(max_length=255)],
    application: ApplicationDep,
    dispatcher: DispatcherDep,
) -> RecordQueued:
    """Queue one record to sync now, read from ``side`` (crm or books)."""
    integration = _integration(application.store, name)
    try:
        config = integration.flow(flow)
    except ConfigError as exc:
        raise RefusedError(404, str(exc)) from exc
    _runnable(integration)
    if not config.enabled:
        raise RefusedError(409, f"flow {flow} is disabled; enable it in the integration's config")
    if not config.direction.reads(side):
        raise RefusedError(
            409,
            f"flow {flow} runs {config.direction.value}, so it does not read {side.value} "
            "records; sync the record from the other side",
        )
    dispatcher.submit_records(integration.id, [RecordChange(flow, side, record_id)])
    return RecordQueued(integration=name, flow=flow, side=side, record_id=record_id)


@router.get("/integrations/{name}/runs", responses={404: _problem("No such integration.")})
def list_runs(
    name: IntegrationName,
    application: ApplicationDep,
    limit: Annotated[int, Query(ge=1, le=200, description="How many runs, newest first.")] = 20,
    before: Annotated[
        int | None, Query(ge=1, description="Only runs older than this id (the next page).")
    ] = None,
) -> list[RunOut]:
    """The integration's runs, newest first."""
    integration = _integration(application.store, name)
    runs = application.store.runs.list(integration.id, limit=limit, before_id=before)
    return [RunOut.of(r) for r in runs]


@router.get("/runs/{run_id}", responses={404: _problem("No such run.")})
def get_run(run_id: int, application: ApplicationDep) -> RunDetail:
    """One run with every record it touched."""
    store = application.store
    try:
        run = store.runs.get(run_id)
        notice = store.runs.notice(run_id)
    except ConfigError as exc:
        raise RefusedError(404, f"no run with id {run_id}") from exc
    items = [RunItemOut.of(i) for i in store.runs.items(run_id)]
    return RunDetail(**RunOut.of(run).model_dump(), notice=notice, items=items)


def install(web: FastAPI) -> None:
    """Add the API routes and their problem-document answers to ``web``."""
    install_handlers(web)
    web.include_router(router)
