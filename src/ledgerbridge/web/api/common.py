"""What every API router shares: its documented refusals, the caller, and lookups that refuse.

A token that belongs to a user sees only that user's integrations (admins see all); an
integration it cannot see is answered 404 exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from ledgerbridge.domain.config import FlowConfig
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.store import IntegrationRow, Store
from ledgerbridge.web.access import IntegrationHiddenError, Principal, require_integration
from ledgerbridge.web.api.models import Problem
from ledgerbridge.web.api.problems import API_PREFIX, RefusedError
from ledgerbridge.web.api.tokens import require_principal
from ledgerbridge.web.problems import PROBLEM_JSON


def problem(description: str, example: str | None = None) -> dict[str, Any]:
    """An OpenAPI response entry for a refusal; its schema is moved to problem+json later."""
    entry: dict[str, Any] = {"model": Problem, "description": description}
    if example is not None:
        entry["content"] = {PROBLEM_JSON: {"example": {"detail": example}}}
    return entry


NOT_FOUND = problem(
    "No such integration, or one this token may not see (the two are answered alike).",
    "no integration named 'acme'; `GET /api/v1/integrations` lists the ones you can see",
)


def api_router(tag: str) -> APIRouter:
    """A router under /api/v1 whose every route needs a token and may refuse bad input."""
    return APIRouter(
        prefix=API_PREFIX,
        tags=[tag],
        dependencies=[Depends(require_principal)],
        responses={
            401: problem(
                "No API token, or one that is not valid or was revoked.",
                "send an API token as `Authorization: Bearer <token>`",
            ),
            422: problem(
                "The request is not valid: `errors` names each field and what is wrong.",
                "window.days: Input should be greater than or equal to 1",
            ),
        },
    )


PrincipalDep = Annotated[Principal, Depends(require_principal)]
IntegrationName = Annotated[
    str, Path(max_length=63, description="The integration's name.", examples=["acme"])
]
FlowName = Annotated[
    str, Path(max_length=63, description="The flow's name.", examples=["accounts"])
]


def integration_for(store: Store, principal: Principal, name: str) -> IntegrationRow:
    """The integration if the caller may see it, else a 404 that says nothing more."""
    try:
        return require_integration(store, principal, name)
    except IntegrationHiddenError:
        if principal.is_admin:
            _unreadable(store, name)
        raise RefusedError(
            404,
            f"no integration named {name!r}; `GET /api/v1/integrations` lists the ones you can see",
        ) from None


def _unreadable(store: Store, name: str) -> None:
    """A 409 when ``name`` exists but its stored config no longer loads (admins only: the
    reason may name what it holds)."""
    try:
        store.integrations.get(name)
    except ConfigError as exc:
        try:
            store.integrations.settings(name)  # reads no config: fails only when it is missing
        except ConfigError:
            return
        raise RefusedError(409, str(exc)) from None


def flow_of(integration: IntegrationRow, name: str) -> FlowConfig:
    try:
        return integration.flow(name)
    except ConfigError as exc:
        raise RefusedError(404, str(exc)) from None
