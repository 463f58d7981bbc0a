"""Flows, their field maps and the schedule of an integration, over the API.

Every change is made on the whole config document and checked like one (a field rule that
looks up an unknown flow, a field mapped twice), so nothing is saved that the engine would
refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import pydantic
from fastapi import Body

from ledgerbridge.domain.config import FlowConfig, IntegrationConfig, ScheduleConfig
from ledgerbridge.jobs import schedule as schedules
from ledgerbridge.store import IntegrationRow, Store
from ledgerbridge.web.api.common import (
    NOT_FOUND,
    FlowName,
    IntegrationName,
    PrincipalDep,
    api_router,
    flow_of,
    integration_for,
    problem,
)
from ledgerbridge.web.api.configs import check_schedule, checked
from ledgerbridge.web.api.integrations import save
from ledgerbridge.web.api.models import FieldsIn, FlowChanged, FlowSummary, ScheduleOut
from ledgerbridge.web.api.problems import field_path, invalid
from ledgerbridge.web.deps import ApplicationDep

router = api_router("flows and schedules")

FLOW_NOT_FOUND = problem(
    "No such integration (or one this token may not see), or no such flow in it.",
    "integration 'acme' has no flow 'deals'; its flows: accounts, products, invoices",
)


def _with_flow(config: IntegrationConfig, flow: str, changes: dict[str, Any]) -> IntegrationConfig:
    """The config with one flow changed, checked as a whole; errors name the flow's fields."""
    document = config.model_dump(mode="json")
    index = next(i for i, f in enumerate(document["flows"]) if f["name"] == flow)
    document["flows"][index].update(changes)
    try:
        return IntegrationConfig.model_validate(document)
    except pydantic.ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            # Errors inside the flow are named as the request wrote them (fields.1.crm);
            # errors of the whole document (a lookup to an unknown flow) by the changed keys.
            if loc[:2] == ("flows", index):
                problems.append((field_path(loc[2:]), message))
            else:
                problems.append((", ".join(changes), message))
        raise invalid(problems) from None


def _named(config: IntegrationConfig, flow: str, here: str) -> Callable[[int], str]:
    """Problems of the changed flow are the request's; others' are named where they are."""
    changed = [f.name for f in config.flows].index(flow)
    return lambda i: here if i == changed else f"config.flows.{i}"


def _config(store: Store, row: IntegrationRow) -> IntegrationConfig:
    return store.integrations.config(row.name)


@router.get(
    "/integrations/{name}/flows", summary="List an integration's flows", responses={404: NOT_FOUND}
)
def list_flows(
    name: IntegrationName, application: ApplicationDep, principal: PrincipalDep
) -> list[FlowSummary]:
    """The flows in their configured order, with how many records each has linked."""
    store = application.store
    row = integration_for(store, principal, name)
    return [FlowSummary.of(f, store.bindings.count(row.id, f.name)) for f in row.flows]


_SCHEDULE_EXAMPLE = {
    "enabled": True,
    "interval_minutes": None,
    "times": ["07:00", "13:00"],
    "timezone": "Europe/London",
    "email_summary": True,
}
_FLOW_EXAMPLE = {
    "name": "accounts",
    "crm_module": "Accounts",
    "books_module": "Contacts",
    "direction": "both",
    "first": "crm",
    "match_keys": [{"crm": "Account_Name", "books": "Name", "kind": "name"}],
    "duplicate_policy": "skip",
    "conflict_policy": "latest_wins",
    "fields": [{"crm": "Account_Name", "books": "Name", "direction": "both"}],
    "enabled": True,
}


@router.get(
    "/integrations/{name}/flows/{flow}",
    summary="Show one flow",
    responses={
        200: {"content": {"application/json": {"example": _FLOW_EXAMPLE}}},
        404: FLOW_NOT_FOUND,
    },
)
def show_flow(
    name: IntegrationName, flow: FlowName, application: ApplicationDep, principal: PrincipalDep
) -> FlowConfig:
    """One flow's whole config: modules, direction, match keys, field rules, required rules."""
    row = integration_for(application.store, principal, name)
    return flow_of(row, flow)


@router.put(
    "/integrations/{name}/flows/{flow}/fields",
    summary="Replace a flow's field rules",
    responses={404: FLOW_NOT_FOUND},
)
def replace_fields(
    name: IntegrationName,
    flow: FlowName,
    body: FieldsIn,
    application: ApplicationDep,
    principal: PrincipalDep,
) -> FlowChanged:
    """Replace the field map, checked against both systems' fields; bindings are kept, so
    the next run writes the new mapping."""
    store = application.store
    row = integration_for(store, principal, name)
    flow_of(row, flow)
    fields = [rule.model_dump(mode="json") for rule in body.fields]
    config = _with_flow(_config(store, row), flow, {"fields": fields})
    warnings = checked(application, principal, config, flow_field=_named(config, flow, "fields"))
    return FlowChanged(flow=save(store, config, row).flow(flow), warnings=warnings)


def _switch(
    application: ApplicationDep, principal: PrincipalDep, name: str, flow: str, on: bool
) -> FlowSummary:
    store = application.store
    row = integration_for(store, principal, name)
    flow_of(row, flow)
    config = _with_flow(_config(store, row), flow, {"enabled": on})
    if on:  # a disabled flow's mapping is not checked, so it is checked when it comes back
        checked(application, principal, config, flow_field=_named(config, flow, "flow"))
    saved = save(store, config, row)
    return FlowSummary.of(saved.flow(flow), store.bindings.count(saved.id, flow))


@router.post(
    "/integrations/{name}/flows/{flow}/enable",
    summary="Enable a flow",
    responses={404: FLOW_NOT_FOUND},
)
def enable_flow(
    name: IntegrationName, flow: FlowName, application: ApplicationDep, principal: PrincipalDep
) -> FlowSummary:
    """Runs, schedules and webhooks carry this flow's records again."""
    return _switch(application, principal, name, flow, True)


@router.post(
    "/integrations/{name}/flows/{flow}/disable",
    summary="Disable a flow",
    responses={404: FLOW_NOT_FOUND},
)
def disable_flow(
    name: IntegrationName, flow: FlowName, application: ApplicationDep, principal: PrincipalDep
) -> FlowSummary:
    """Leave this flow out of every run; its bindings and cursor are kept for later."""
    return _switch(application, principal, name, flow, False)


@router.get(
    "/integrations/{name}/schedule",
    summary="Show the automatic sync settings",
    responses={404: NOT_FOUND},
)
def show_schedule(
    name: IntegrationName, application: ApplicationDep, principal: PrincipalDep
) -> ScheduleOut:
    """When the integration syncs by itself, which flows, which way, and whether it e-mails."""
    row = integration_for(application.store, principal, name)
    return ScheduleOut(schedule=row.schedule, description=schedules.describe(row.schedule))


@router.put(
    "/integrations/{name}/schedule",
    summary="Set the automatic sync settings",
    responses={404: NOT_FOUND},
)
def set_schedule(
    name: IntegrationName,
    body: Annotated[ScheduleConfig, Body(examples=[_SCHEDULE_EXAMPLE])],
    application: ApplicationDep,
    principal: PrincipalDep,
) -> ScheduleOut:
    """Replace the schedule: every `interval_minutes` (5 or more), or at `times` of day in
    `timezone`; `enabled: false` stops scheduled runs."""
    store = application.store
    row = integration_for(store, principal, name)
    check_schedule(body, [f.name for f in row.flows])
    saved = save(store, _config(store, row).model_copy(update={"schedule": body}), row)
    return ScheduleOut(schedule=saved.schedule, description=schedules.describe(saved.schedule))
