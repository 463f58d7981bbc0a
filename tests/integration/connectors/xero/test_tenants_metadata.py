"""Tenant choice, the connection factory and the organisation's settings."""

from __future__ import annotations

import uuid

import httpx
import pytest

from ledgerbridge.connectors.base import Connector
from ledgerbridge.connectors.http.tokens import MemoryTokenStore, TokenSet
from ledgerbridge.connectors.xero import XeroConnector, from_connection
from ledgerbridge.domain.errors import AuthError, ConfigError
from ledgerbridge.domain.records import Draft
from ledgerbridge.sandbox.xero import CLIENT_ID
from tests.integration.connectors.xero.emulator import Xero


def test_tenants_lists_the_connected_organisation(world: Xero) -> None:
    conn = world.connector()
    (tenant,) = conn.tenants()
    assert tenant.tenant_id == world.state.tenant_id
    assert tenant.tenant_type == "ORGANISATION"
    assert tenant.tenant_name == world.state.organisation["Name"]
    assert tenant.created_at is not None and tenant.created_at.tzinfo is not None


def test_without_a_tenant_setting_the_only_organisation_is_used(world: Xero) -> None:
    conn = world.connector(settings=world.settings(tenant_id=""))
    assert conn.describe().extra["tenant_id"] == world.state.tenant_id
    assert conn.tenant_id == world.state.tenant_id


def test_several_organisations_and_none_chosen_asks_to_choose(world: Xero) -> None:
    recorder = world.recorder()
    other = str(uuid.uuid4())
    recorder.extra_tenants = [
        {
            "id": str(uuid.uuid4()),
            "tenantId": other,
            "tenantType": "ORGANISATION",
            "tenantName": "Second Books Ltd",
        }
    ]
    conn = world.connector(settings=world.settings(tenant_id=""), http=world.client(recorder))
    with pytest.raises(ConfigError, match="Second Books Ltd"):
        conn.describe()
    assert (
        conn.choose_tenant(world.state.tenant_id.upper()).tenant_name
        == (world.state.organisation["Name"])
    )
    assert conn.describe().base_currency == "NZD"


def test_choosing_a_tenant_that_is_not_connected_is_refused(world: Xero) -> None:
    conn = world.connector()
    with pytest.raises(ConfigError, match="not connected"):
        conn.choose_tenant(str(uuid.uuid4()))


def test_a_tenant_the_token_does_not_reach_is_an_auth_error(world: Xero) -> None:
    conn = world.connector(settings=world.settings(tenant_id=str(uuid.uuid4())))
    with pytest.raises(AuthError, match="tenant"):
        conn.organisation()


def test_from_connection_reads_settings_and_the_client_secret(world: Xero) -> None:
    store = world.token_store()
    conn = from_connection(
        {"client_id": CLIENT_ID, "tenant_id": world.state.tenant_id, "scopes": "openid"},
        store,
        http=world.client(),
    )
    assert isinstance(conn, Connector)
    assert conn.settings.scopes == ("openid",)
    assert conn.auth.app.basic_auth
    assert conn.organisation().organisation_id == world.state.tenant_id


def test_from_connection_says_what_is_missing(world: Xero) -> None:
    with pytest.raises(ConfigError, match="client_id"):
        from_connection({}, world.token_store(), http=world.client())
    bare = MemoryTokenStore(world.tokens())
    with pytest.raises(ConfigError, match="client_secret"):
        from_connection({"client_id": CLIENT_ID}, bare, http=world.client())


def test_from_connection_makes_its_own_client() -> None:
    store = MemoryTokenStore(TokenSet(None, None, None), secrets={"client_secret": "s"})
    conn = from_connection({"client_id": "c", "tenant_id": str(uuid.uuid4())}, store)
    assert isinstance(conn.http, httpx.Client)
    assert conn.settings.api_base == "https://api.xero.com/api.xro/2.0"
    conn.http.close()


def test_describe_gives_the_organisation_and_every_module(world: Xero) -> None:
    org = world.connector().describe()
    assert org.name == world.state.organisation["Name"]
    assert org.base_currency == "NZD"
    assert org.multi_currency  # the emulated organisation is on a Premium plan
    modules = {m.name: m for m in org.modules}
    assert set(modules) >= {"Contacts", "Items", "Invoices", "PurchaseOrders", "TaxRates"}
    contact_fields = {f.name: f for f in modules["Contacts"].fields}
    assert contact_fields["Name"].required
    assert contact_fields["ContactStatus"].picklist == ("ACTIVE", "ARCHIVED", "GDPRREQUEST")
    assert contact_fields["IsCustomer"].read_only
    assert contact_fields["EmailAddress"].label == "Email Address"
    invoice_fields = {f.name: f for f in modules["Invoices"].fields}
    assert invoice_fields["Contact"].lookup_module == "Contacts"
    assert invoice_fields["DueDate"].type == "date"
    assert org.extra["short_code"] == world.state.organisation["ShortCode"]


def test_settings_lists(world: Xero) -> None:
    conn = world.connector()
    rates = {r.tax_type: r for r in conn.tax_rates()}
    assert rates["OUTPUT"].effective_rate == 15.0
    assert rates["OUTPUT"].can_apply_to_revenue
    accounts = {a.code: a for a in conn.accounts()}
    assert accounts["200"].type == "REVENUE"
    assert accounts["090"].enable_payments
    themes = conn.branding_themes()
    assert [t.name for t in themes] == ["Standard", "Special Projects"]
    assert all(t.created_at is not None and t.created_at.tzinfo for t in themes)
    assert conn.organisation().base_currency == "NZD"


def test_online_invoice_url_for_approved_sales_invoices_only(world: Xero) -> None:
    conn: XeroConnector = world.connector()
    contact = world.state.add_contact(Name="Online Buyer")
    lines = [{"Description": "Work", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200"}]
    made = conn.create_many(
        "Invoices",
        [
            Draft(
                status,
                {
                    "Type": kind,
                    "Contact": {"ContactID": contact["ContactID"]},
                    "Status": status,
                    "LineItems": lines,
                },
            )
            for kind, status in (
                ("ACCREC", "AUTHORISED"),
                ("ACCREC", "DRAFT"),
                ("ACCPAY", "AUTHORISED"),
            )
        ],
    )
    assert all(r.ok for r in made)
    url = conn.online_invoice_url(str(made[0].id))
    assert url is not None and url.startswith("https://in.xero.com/")
    assert conn.online_invoice_url(str(made[1].id)) is None
    assert conn.online_invoice_url(str(made[2].id)) is None
    assert conn.online_invoice_url(str(uuid.uuid4())) is None
    assert conn.online_invoice_url("INV-0001") is None
