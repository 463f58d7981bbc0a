"""The REST API under ``/api/v1``: queue a run or one record; ``install`` adds every router.

Every route needs a bearer token (see ``tokens.py``); refusals are problem documents.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Path, status

from ledgerbridge.domain.records import Side
from ledgerbridge.engine.lifecycle import runnable
from ledgerbridge.jobs.dispatch import RecordChange
from ledgerbridge.store import IntegrationRow, IntegrationState
from ledgerbridge.web.api import connections, flows, integrations, openapi, runs
from ledgerbridge.web.api.common import (
    IntegrationName,
    PrincipalDep,
    api_router,
    flow_of,
    integration_for,
    problem,
)
from ledgerbridge.web.api.models import RecordQueued, SyncIn, SyncQueued
from ledgerbridge.web.api.problems import RefusedError, install_handlers
from ledgerbridge.web.deps import ApplicationDep, DispatcherDep

router = api_router("sync")

NOT_FOUND = problem(
    "No such integration (or one this token may not see), or no such flow.",
    "no integration named 'acme'; `GET /api/v1/integrations` lists the ones you can see",
)
NOT_RUNNABLE = problem(
    "The integration is paused or disabled.",
    "integration acme is paused; `POST /api/v1/integrations/acme/resume` makes it run again",
)


def _runnable(integration: IntegrationRow) -> IntegrationRow:
    if runnable(integration):
        return integration
    name = integration.name
    if integration.state is IntegrationState.PAUSED:
        raise RefusedError(
            409,
            f"integration {name} is paused; `POST /api/v1/integrations/{name}/resume` makes "
            "it run again",
        )
    raise RefusedError(
        409,
        f"integration {name} is {integration.state.value}; `POST /api/v1/integrations/{name}/"
        "enable` makes it run again",
    )


@router.post(
    "/integrations/{name}/sync",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Queue a run",
    responses={404: NOT_FOUND, 409: NOT_RUNNABLE},
)
def sync_integration(
    name: IntegrationName,
    application: ApplicationDep,
    dispatcher: DispatcherDep,
    principal: PrincipalDep,
    body: SyncIn | None = None,
) -> SyncQueued:
    """Queue a run of the integration: every enabled flow, or the flows named.

    A run already going on is not interrupted: the new one starts when it ends, and an equal
    run still waiting absorbs this one.
    """
    asked = body or SyncIn()
    integration = _runnable(integration_for(application.store, principal, name))
    known = [f.name for f in integration.flows]
    unknown = [f for f in asked.flows if f not in known]
    if unknown:
        raise RefusedError(
            422,
            f"flows: integration {name} has no flow named {', '.join(map(repr, unknown))}; "
            f"use some of: {', '.join(known) or 'none'} (or leave flows out for all enabled)",
            errors=[("flows", f"no flow named {', '.join(map(repr, unknown))}")],
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
    summary="Queue one record",
    responses={
        404: NOT_FOUND,
        409: problem(
            "Paused or disabled, the flow is disabled, or it does not read that side.",
            "flow accounts runs crm_to_books, so it does not read books records",
        ),
    },
)
def sync_record(
    name: IntegrationName,
    flow: Annotated[str, Path(max_length=63)],
    side: Side,
    record_id: Annotated[str, Path(max_length=255)],
    application: ApplicationDep,
    dispatcher: DispatcherDep,
    principal: PrincipalDep,
) -> RecordQueued:
    """Queue one record to sync now, read from ``side`` (crm or books)."""
    integration = integration_for(application.store, principal, name)
    config = flow_of(integration, flow)
    _runnable(integration)
    if not config.enabled:
        raise RefusedError(
            409,
            f"flow {flow} is disabled; `POST /api/v1/integrations/{name}/flows/{flow}/enable` "
            "enables it",
        )
    if not config.direction.reads(side):
        raise RefusedError(
            409,
            f"flow {flow} runs {config.direction.value}, so it does not read {side.value} "
            "records; sync the record from the other side",
        )
    dispatcher.submit_records(integration.id, [RecordChange(flow, side, record_id)])
    return RecordQueued(integration=name, flow=flow, side=side, record_id=record_id)


ROUTERS = (
    connections.router,
    integrations.router,
    flows.router,
    router,
    runs.router,
)


def install(web: FastAPI) -> None:
    """Add the API routes, their problem-document answers and their OpenAPI document."""
    install_handlers(web)
    for each in ROUTERS:
        web.include_router(each)
    openapi.install(web, ROUTERS)
