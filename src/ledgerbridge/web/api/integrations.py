"""Integrations over the API: list, create, show, its config document, lifecycle, delete."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import pydantic
import yaml
from fastapi import Body, Query, Response, status
from fastapi.responses import JSONResponse

from ledgerbridge.domain.config import IntegrationConfig
from ledgerbridge.domain.errors import ConfigError, LedgerbridgeError, StateError
from ledgerbridge.engine import lifecycle
from ledgerbridge.recipes import registry
from ledgerbridge.store import IntegrationRow, IntegrationState, Store
from ledgerbridge.web.access import visible_integrations
from ledgerbridge.web.api.common import (
    NOT_FOUND,
    IntegrationName,
    PrincipalDep,
    api_router,
    integration_for,
    problem,
)
from ledgerbridge.web.api.configs import merge_patch, validated
from ledgerbridge.web.api.models import (
    DeletionOut,
    FlowSummary,
    IntegrationCreate,
    IntegrationOut,
)
from ledgerbridge.web.api.problems import RefusedError, invalid, invalid_model
from ledgerbridge.web.deps import ApplicationDep

router = api_router("integrations")

YAML = "application/yaml"
_CONFIG_EXAMPLE = {
    "name": "acme",
    "recipe": "zoho_xero",
    "crm_connection": "crm",
    "books_connection": "xero",
    "flows": [
        {
            "name": "accounts",
            "crm_module": "Accounts",
            "books_module": "Contacts",
            "match_keys": [{"crm": "Account_Name", "books": "Name", "kind": "name"}],
            "fields": [{"crm": "Account_Name", "books": "Name"}],
        }
    ],
}
_PATCH_EXAMPLE = {"notify_email": "books@acme.example", "schedule": {"enabled": True}}
DROPS_WHILE_RUNNING = problem(
    "The change drops flows while a run is going on.",
    "run 42 of integration acme is going on and the change drops flow(s) vendors, whose links "
    "it may still write; try again once it ended",
)
CONFLICT_STATE = problem(
    "The integration is not in a state that allows this.",
    "integration acme is disabled; `POST /api/v1/integrations/acme/enable` makes it run again",
)


_COMMAND = re.compile(r"`ledgerbridge integration (\w+) ([^`\s]+)`")


def api_words(message: str) -> str:
    """Engine messages name CLI commands; an API caller is told the matching route instead."""
    return _COMMAND.sub(r"`POST /api/v1/integrations/\2/\1`", message)


def integration_out(
    store: Store,
    row: IntegrationRow,
    warnings: list[str] | None = None,
    counts: dict[tuple[int, str], int] | None = None,
) -> IntegrationOut:
    if counts is None:
        counts = store.bindings.counts([row.id])
    return IntegrationOut(
        name=row.name,
        recipe=row.recipe,
        state=row.state,
        crm_connection=row.crm_connection,
        books_connection=row.books_connection,
        notify_email=row.notify_email,
        schedule=row.schedule,
        flows=[FlowSummary.of(f, counts.get((row.id, f.name), 0)) for f in row.flows],
        created_at=row.created_at,
        updated_at=row.updated_at,
        warnings=warnings or [],
    )


def document(store: Store, name: str) -> dict[str, Any]:
    """The config document as ``ledgerbridge integration export`` writes it."""
    config = store.integrations.config(name)
    exported: dict[str, Any] = config.model_dump(mode="json", exclude_defaults=True)
    return exported


def save(store: Store, config: IntegrationConfig, current: IntegrationRow) -> IntegrationRow:
    """Store ``config`` over ``current``; dropping flows waits until no run is going on.

    A dropped flow loses its bindings and cursors, which a run going on may still write.
    """
    dropped = sorted({f.name for f in current.flows} - {f.name for f in config.flows})
    if dropped:
        running = store.runs.running(current.id)
        if running is not None:
            raise RefusedError(
                409,
                f"run {running.id} of integration {current.name} is going on and the change "
                f"drops flow(s) {', '.join(dropped)}, whose links it may still write; try again "
                "once it ended",
            )
    try:
        return store.integrations.replace(config)
    except ConfigError as exc:  # pragma: no cover - a connection deleted since it was checked
        raise RefusedError(409, str(exc)) from None


@router.get("/integrations", summary="List integrations")
def list_integrations(application: ApplicationDep, principal: PrincipalDep) -> list[IntegrationOut]:
    """The integrations this token may see, by name."""
    store = application.store
    rows = visible_integrations(store, principal)
    # one count of every listed integration's bindings, not one per flow
    counts = store.bindings.counts(row.id for row in rows)
    return [integration_out(store, row, counts=counts) for row in rows]


def _from_recipe(body: IntegrationCreate) -> dict[str, Any]:
    recipe = body.recipe or ""  # the model's validator made sure all four are there
    if recipe not in registry.RECIPES:
        recipes = ", ".join(sorted(registry.RECIPES))
        raise invalid([("recipe", f"no recipe named {recipe!r}; choose one of: {recipes}")])
    try:
        built = registry.build(
            recipe,
            name=body.name or "",
            crm_connection=body.crm_connection or "",
            books_connection=body.books_connection or "",
            options=body.options,
        )
    except ConfigError as exc:
        raise invalid([("options", str(exc))]) from None
    except pydantic.ValidationError as exc:  # e.g. a name the recipe cannot take
        raise invalid_model(exc) from None
    config: dict[str, Any] = built.model_dump(mode="json")
    if body.notify_email is not None:
        config["notify_email"] = body.notify_email
    if body.schedule is not None:
        config["schedule"] = body.schedule.model_dump(mode="json")
    if body.flows is not None:
        known = [f["name"] for f in config["flows"]]
        unknown = [f for f in body.flows if f not in known]
        if unknown:
            raise invalid(
                [
                    (
                        "flows",
                        f"recipe {recipe} has no flow named "
                        f"{', '.join(map(repr, unknown))}; its flows: {', '.join(known)}",
                    )
                ]
            )
        for flow in config["flows"]:
            flow["enabled"] = flow["name"] in body.flows
    return config


@router.post(
    "/integrations",
    status_code=status.HTTP_201_CREATED,
    summary="Create an integration",
    responses={
        409: problem(
            "An integration of that name exists.",
            "an integration named 'acme' already exists; choose another name",
        )
    },
)
def create_integration(
    body: IntegrationCreate,
    application: ApplicationDep,
    principal: PrincipalDep,
    response: Response,
) -> IntegrationOut:
    """Create an integration from a recipe (with options), or from a whole config document.

    It belongs to the token's user (a token without a user makes one only admins see).
    """
    store = application.store
    if body.config is not None:
        config, warnings = validated(
            application, principal, body.config.model_dump(mode="json"), ("config",)
        )
    else:
        config, warnings = validated(application, principal, _from_recipe(body))
    try:
        row = store.integrations.create(config, owner_id=principal.user_id)
    except ConfigError as exc:
        # The name is taken; it may be another user's, which says no more than that.
        raise RefusedError(
            409, f"an integration named {config.name!r} already exists; choose another name"
        ) from exc
    response.headers["Location"] = f"/api/v1/integrations/{row.name}"
    return integration_out(store, row, warnings)


@router.get("/integrations/{name}", summary="Show an integration", responses={404: NOT_FOUND})
def show_integration(
    name: IntegrationName, application: ApplicationDep, principal: PrincipalDep
) -> IntegrationOut:
    """One integration: state, connections, schedule and its flows with their bindings."""
    store = application.store
    return integration_out(store, integration_for(store, principal, name))


@router.get(
    "/integrations/{name}/config",
    summary="Export an integration's config",
    response_model=IntegrationConfig,
    responses={
        200: {
            "description": "The document `ledgerbridge integration export` writes, as JSON "
            "or (with `format=yaml`) YAML; defaults are left out.",
            "content": {
                "application/json": {"example": _CONFIG_EXAMPLE},
                YAML: {
                    "schema": {"type": "string"},
                    "example": yaml.safe_dump(_CONFIG_EXAMPLE, sort_keys=False),
                },
            },
        },
        404: NOT_FOUND,
    },
)
def export_config(
    name: IntegrationName,
    application: ApplicationDep,
    principal: PrincipalDep,
    format: Annotated[
        Literal["json", "yaml"], Query(description="`json` (the default) or `yaml`.")
    ] = "json",
) -> Response:
    """The integration as config-as-code; `ledgerbridge integration import` reads it back."""
    store = application.store
    row = integration_for(store, principal, name)
    exported = document(store, row.name)
    if format == "yaml":
        text = yaml.safe_dump(exported, sort_keys=False, allow_unicode=True)
        return Response(text, media_type=YAML)
    return JSONResponse(exported)


def _same_name(config: IntegrationConfig, name: str, prefix: str = "name") -> None:
    if config.name != name:
        raise invalid(
            [
                (
                    prefix,
                    f"is {config.name!r} but the URL names {name!r}; an integration keeps "
                    "its name (export it and create a new one to rename)",
                )
            ]
        )


@router.put(
    "/integrations/{name}/config",
    summary="Replace an integration's config",
    responses={404: NOT_FOUND, 409: DROPS_WHILE_RUNNING},
)
def replace_config(
    name: IntegrationName,
    body: Annotated[IntegrationConfig, Body(examples=[_CONFIG_EXAMPLE])],
    application: ApplicationDep,
    principal: PrincipalDep,
) -> IntegrationOut:
    """Replace the whole document; flows that remain keep their bindings and cursors."""
    store = application.store
    row = integration_for(store, principal, name)
    _same_name(body, row.name)
    config, warnings = validated(application, principal, body.model_dump(mode="json"))
    return integration_out(store, save(store, config, row), warnings)


@router.patch(
    "/integrations/{name}/config",
    summary="Change part of an integration's config",
    responses={404: NOT_FOUND, 409: DROPS_WHILE_RUNNING},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/merge-patch+json": {
                    "schema": {"type": "object"},
                    "example": {
                        "notify_email": "books@acme.example",
                        "schedule": {"enabled": True},
                    },
                }
            },
        }
    },
)
def patch_config(
    name: IntegrationName,
    body: Annotated[dict[str, Any], Body(examples=[_PATCH_EXAMPLE])],
    application: ApplicationDep,
    principal: PrincipalDep,
) -> IntegrationOut:
    """An RFC 7396 merge patch over the document: objects merge, `null` removes a key,
    lists (such as `flows`) are replaced whole."""
    store = application.store
    row = integration_for(store, principal, name)
    current = store.integrations.config(row.name).model_dump(mode="json")
    merged = merge_patch(current, body)
    config, warnings = validated(application, principal, merged)
    _same_name(config, row.name)
    return integration_out(store, save(store, config, row), warnings)


def _lifecycle(
    application: ApplicationDep, principal: PrincipalDep, name: str, action: Any
) -> IntegrationOut:
    store = application.store
    row = integration_for(store, principal, name)
    try:
        changed = action(store, row.name)
    except StateError as exc:
        raise RefusedError(409, api_words(str(exc))) from None
    return integration_out(store, changed)


@router.post(
    "/integrations/{name}/pause",
    summary="Pause an integration",
    responses={404: NOT_FOUND, 409: CONFLICT_STATE},
)
def pause(
    name: IntegrationName, application: ApplicationDep, principal: PrincipalDep
) -> IntegrationOut:
    """Stop running it for a while; resuming picks up every change made meanwhile."""
    return _lifecycle(application, principal, name, lifecycle.pause)


@router.post(
    "/integrations/{name}/resume",
    summary="Resume a paused integration",
    responses={404: NOT_FOUND, 409: CONFLICT_STATE},
)
def resume(
    name: IntegrationName, application: ApplicationDep, principal: PrincipalDep
) -> IntegrationOut:
    """Run a paused integration again (a disabled one is enabled instead)."""
    return _lifecycle(application, principal, name, lifecycle.resume)


@router.post(
    "/integrations/{name}/disable",
    summary="Disable an integration",
    responses={404: NOT_FOUND},
)
def disable(
    name: IntegrationName, application: ApplicationDep, principal: PrincipalDep
) -> IntegrationOut:
    """Switch it off: the step before it may be deleted."""
    return _lifecycle(application, principal, name, lifecycle.disable)


@router.post(
    "/integrations/{name}/enable",
    summary="Enable an integration",
    responses={404: NOT_FOUND},
)
def enable(
    name: IntegrationName, application: ApplicationDep, principal: PrincipalDep
) -> IntegrationOut:
    """Switch a disabled (or paused) integration on again."""
    return _lifecycle(application, principal, name, lifecycle.enable)


@router.delete(
    "/integrations/{name}",
    summary="Delete a disabled integration",
    responses={
        404: NOT_FOUND,
        409: problem(
            "Not disabled, a run is going on, or a record could not be archived.",
            "integration acme is active; only a disabled integration can be deleted",
        ),
        502: problem(
            "The accounting system could not be reached or refused (with-transactions).",
            "xero refused the credentials; reconnect the connection",
        ),
    },
)
def delete_integration(
    name: IntegrationName,
    application: ApplicationDep,
    principal: PrincipalDep,
    keep: Annotated[
        lifecycle.Keep,
        Query(
            description="`all`: every synced record stays; `with-transactions`: accounting "
            "records this integration created that have no transactions are archived."
        ),
    ] = lifecycle.Keep.ALL,
) -> DeletionOut:
    """Delete a disabled integration with its bindings, cursors and history (irreversible)."""
    store = application.store
    row = integration_for(store, principal, name)
    if row.state is not IntegrationState.DISABLED:
        raise RefusedError(
            409,
            f"integration {name} is {row.state.value}; only a disabled integration can be "
            f"deleted: `POST /api/v1/integrations/{name}/disable` first",
        )
    running = store.runs.running(row.id)
    if running is not None:
        raise RefusedError(
            409, f"run {running.id} of integration {name} is going on; delete it once it ended"
        )
    try:
        systems = application.systems(row) if keep is lifecycle.Keep.WITH_TRANSACTIONS else None
        report = lifecycle.delete(store, row.name, keep, systems)
    except (StateError, ConfigError) as exc:
        # Not deletable as asked, or the connection needs fixing first (no client secret).
        raise RefusedError(409, api_words(str(exc)).replace("--keep all", "keep=all")) from None
    except LedgerbridgeError as exc:  # refused credentials, limits, timeouts
        raise RefusedError(502, str(exc)) from None
    return DeletionOut(
        integration=report.integration,
        keep=report.keep,
        bindings_removed=report.bindings_removed,
        archived=report.archived,
        kept_with_transactions=report.kept_with_transactions,
    )
