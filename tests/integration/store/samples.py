"""Sample connections and integration configs for store tests."""

from __future__ import annotations

from typing import Any

from ledgerbridge.domain.config import (
    DefaultTransform,
    Direction,
    FieldRule,
    FlowConfig,
    IntegrationConfig,
    KeyKind,
    LookupTransform,
    MatchKey,
    RequiredRule,
    ScheduleConfig,
    ValueMapTransform,
    WriteBack,
)
from ledgerbridge.domain.records import Side
from ledgerbridge.store import Store

ACCOUNTS = FlowConfig(
    name="accounts",
    crm_module="Accounts",
    books_module="Contacts",
    match_keys=(MatchKey(crm="Account_Name", books="Name", kind=KeyKind.NAME),),
    fields=(
        FieldRule(crm="Account_Name", books="Name"),
        FieldRule(crm="Email", books="EmailAddress", transform=DefaultTransform(value="")),
        FieldRule(
            crm="Account_Type",
            books="IsCustomer",
            direction=Direction.CRM_TO_BOOKS,
            transform=ValueMapTransform(map={"Customer": True, "Vendor": False}),
        ),
    ),
    required=(RequiredRule(side=Side.CRM, field="Email", message="Account has no Email"),),
    write_back=(WriteBack(to=Side.CRM, field="Xero_ID", source_field="@id"),),
)

INVOICES = FlowConfig(
    name="invoices",
    crm_module="Invoices",
    books_module="Invoices",
    direction=Direction.CRM_TO_BOOKS,
    fields=(
        FieldRule(crm="Subject", books="Reference", direction=Direction.CRM_TO_BOOKS),
        FieldRule(
            crm="Account_Name",
            books="Contact",
            direction=Direction.CRM_TO_BOOKS,
            transform=LookupTransform(flow="accounts", books_id_path="ContactID"),
        ),
    ),
    depends_on=("accounts",),
)

PRODUCTS = FlowConfig(
    name="products",
    crm_module="Products",
    books_module="Items",
    fields=(FieldRule(crm="Product_Code", books="Code"),),
)


def integration_config(name: str = "acme", **changes: Any) -> IntegrationConfig:
    values: dict[str, Any] = {
        "name": name,
        "recipe": "zoho_crm_xero",
        "crm_connection": "crm",
        "books_connection": "xero",
        "notify_email": "ops@example.com",
        "schedule": ScheduleConfig(enabled=True, interval_minutes=30, flows=("accounts",)),
        "flows": (ACCOUNTS, INVOICES),
    }
    values.update(changes)
    return IntegrationConfig(**values)


def add_connections(store: Store) -> None:
    store.connections.add(
        "crm", "zoho_crm", {"data_centre": "eu"}, {"refresh_token": "crm-refresh-secret"}
    )
    store.connections.add(
        "xero", "xero", {"tenant_id": "t-1"}, {"refresh_token": "xero-refresh-secret"}
    )


def make_integration(store: Store, name: str = "acme") -> int:
    """An integration on fresh connections; returns its id."""
    add_connections(store)
    return store.integrations.create(integration_config(name)).id
