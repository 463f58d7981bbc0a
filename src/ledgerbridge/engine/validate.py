"""Checks an integration against the systems it connects, before it is saved and before it runs.

``validate_config`` is what ``integration create`` / ``import`` (and the portal and API) call:
it reads both systems' field lists and returns every problem of every enabled flow.
``preflight`` is what a sync or fetch calls first: it refuses to start (``ConfigError``) when the
currencies differ or a later organisation would write to the CRM, and resolves CRM custom
views into conditions the planner can hold records to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Protocol, runtime_checkable

from ledgerbridge.connectors.base import Connector
from ledgerbridge.domain.config import FlowConfig, IntegrationConfig, ViewCondition, ViewFilter
from ledgerbridge.domain.errors import ConfigError, LedgerbridgeError
from ledgerbridge.domain.records import FieldInfo, OrgInfo, Side
from ledgerbridge.domain.validation import (
    Problem,
    Severity,
    currency_mismatch,
    second_organisation_problems,
    validate_flow,
)
from ledgerbridge.engine.model import Systems
from ledgerbridge.store import IntegrationRow, Store

# Systems that carry a base currency and where organisations of one CRM take turns.
ORGANISATION_SYSTEMS = frozenset({"zoho_books"})
# Systems that keep no field metadata: nothing to check a mapping against.
SCHEMALESS = frozenset({"memory"})


class Application(Protocol):
    """What validation needs of the wired application (``bootstrap.App`` is one)."""

    store: Store

    def connector(self, name: str) -> Connector: ...


@runtime_checkable
class ViewReader(Protocol):
    """A CRM connector that can read a custom view's criteria as conditions."""

    def view_conditions(self, module: str, view_id: str) -> tuple[ViewCondition, ...]: ...


@runtime_checkable
class OrgReader(Protocol):
    """A connector that describes its organisation cheaply (no field lists)."""

    def org_info(self) -> OrgInfo: ...


def organisation(conn: Connector) -> OrgInfo:
    return conn.org_info() if isinstance(conn, OrgReader) else conn.describe()


def _fields(info: OrgInfo) -> Mapping[str, tuple[FieldInfo, ...]]:
    return {m.name: m.fields for m in info.modules}


def validate_config(application: Application, config: IntegrationConfig) -> list[Problem]:
    """Every problem of ``config`` against both connections' metadata and the other integrations."""
    store = application.store
    problems: list[Problem] = []
    described: dict[Side, OrgInfo | None] = {}
    for side, name in ((Side.CRM, config.crm_connection), (Side.BOOKS, config.books_connection)):
        system = store.connections.get(name).system
        if system in SCHEMALESS:
            described[side] = None
            continue
        try:
            described[side] = application.connector(name).describe()
        except LedgerbridgeError as exc:
            described[side] = None
            problems.append(
                Problem(
                    "*",
                    side,
                    None,
                    f"could not read the fields of connection {name} ({exc}); the mapping was "
                    "not checked against them: authorise the connection and import again",
                    Severity.WARNING,
                )
            )
    crm, books = described[Side.CRM], described[Side.BOOKS]
    crm_fields = _fields(crm) if crm else None
    books_fields = _fields(books) if books else None
    for flow in config.flows:
        if not flow.enabled:
            continue
        problems.extend(
            validate_flow(
                flow,
                None if crm_fields is None else crm_fields.get(flow.crm_module, ()),
                None if books_fields is None else books_fields.get(flow.books_module, ()),
            )
        )
    books_system = store.connections.get(config.books_connection).system
    if books_system in ORGANISATION_SYSTEMS:
        if crm is not None and books is not None:
            mismatch = currency_mismatch(crm, books)
            if mismatch:
                problems.append(Problem("*", None, None, mismatch))
        problems.extend(_organisation_order(store, config, stored_id=None))
    return problems


def _organisation_order(
    store: Store, config: IntegrationConfig | IntegrationRow, stored_id: int | None
) -> list[Problem]:
    """Problems of ``config`` when another organisation came first on its CRM connection."""
    earlier = [
        row
        for row in sorted(store.integrations.list(), key=lambda r: r.id)
        if row.crm_connection == config.crm_connection
        and row.name != config.name
        and (stored_id is None or row.id < stored_id)
        and store.connections.get(row.books_connection).system in ORGANISATION_SYSTEMS
    ]
    if not earlier or earlier[0].books_connection == config.books_connection:
        return []
    first = earlier[0]
    taken = {
        f"{f.crm_module}.{wb.field}"
        for f in first.flows
        if f.enabled
        for wb in f.write_back
        if wb.to is Side.CRM
    }
    return second_organisation_problems(
        config.flows, first.books_connection, config.books_connection, taken
    )


def preflight(store: Store, integration: IntegrationRow, systems: Systems) -> IntegrationRow:
    """Refuse to start what must not run; the integration with custom views resolved."""
    if systems.books.system in ORGANISATION_SYSTEMS:
        mismatch = currency_mismatch(organisation(systems.crm), organisation(systems.books))
        if mismatch:
            raise ConfigError(mismatch)
        order = _organisation_order(store, integration, stored_id=integration.id)
        if order:
            raise ConfigError("; ".join(str(p) for p in order))
    if not any(v.custom_view_id for f in integration.flows for v in f.views):
        return integration
    return replace(
        integration, flows=tuple(resolve_views(f, systems.crm) for f in integration.flows)
    )


def resolve_views(flow: FlowConfig, crm: Connector) -> FlowConfig:
    """``flow`` with each CRM custom view replaced by the view's criteria as conditions."""
    if not any(v.custom_view_id for v in flow.views) or not flow.enabled:
        return flow
    if not isinstance(crm, ViewReader):
        raise ConfigError(
            f"flow {flow.name} is limited to a CRM custom view, but the {crm.system} connection "
            "cannot read custom views; use view conditions instead"
        )
    views: list[ViewFilter] = []
    for view in flow.views:
        if view.custom_view_id is None:
            views.append(view)
            continue
        conditions = crm.view_conditions(flow.crm_module, view.custom_view_id)
        views.append(
            view.model_copy(
                update={"custom_view_id": None, "conditions": (*view.conditions, *conditions)}
            )
        )
    return flow.model_copy(update={"views": tuple(views)})
