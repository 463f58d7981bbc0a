"""The starter recipe planned end to end: every rule kind in one integration."""

from __future__ import annotations

from ledgerbridge.domain.lookups import LookupTable
from ledgerbridge.domain.mapping import FlowMap
from ledgerbridge.domain.ordering import order_flows
from ledgerbridge.domain.planner import Create, Fail, PageInput, Update, plan_page
from ledgerbridge.domain.records import Record, Side
from ledgerbridge.recipes.starter import ACCOUNTS, INVOICES, PRODUCTS, starter_config

from .builders import T0, bind, books, crm


def test_the_recipe_validates_and_orders_its_flows() -> None:
    config = starter_config("acme", "crm-1", "books-1")
    assert (config.name, config.crm_connection, config.books_connection) == (
        "acme",
        "crm-1",
        "books-1",
    )
    assert [f.name for f in order_flows(config.flows)] == ["accounts", "products", "invoices"]


def test_a_crm_account_becomes_an_accounting_contact() -> None:
    account = crm("5001", Account_Name="Acme", Email="a@acme.test", Rating="Warm")
    (action,) = plan_page(FlowMap(ACCOUNTS), PageInput(Side.CRM, [account], {}))
    assert isinstance(action, Create)
    assert action.fields == {
        "Name": "Acme",
        "EmailAddress": "a@acme.test",
        "Phone": None,
        "Tier": "B",
        "DefaultCurrency": "USD",
        "ContactNumber": "5001",
    }


def test_an_account_without_a_name_fails_with_the_recipes_message() -> None:
    (action,) = plan_page(FlowMap(ACCOUNTS), PageInput(Side.CRM, [crm("5001")], {}))
    assert isinstance(action, Fail)
    assert action.reason == "Account has no Account_Name: the accounting system needs a name"


def test_an_accounting_balance_comes_back_to_the_crm() -> None:
    account = crm("5001", Account_Name="Acme", Currency="EUR")
    contact = books("b1", Name="Acme", DefaultCurrency="EUR", ContactNumber="5001")
    bound = bind(FlowMap(ACCOUNTS), account, contact)
    paid = Record("b1", "Contacts", {**contact.fields, "Balance": 120.0}, T0)
    (action,) = plan_page(
        FlowMap(ACCOUNTS),
        PageInput(Side.BOOKS, [paid], {"b1": bound}, partners={"5001": account}),
    )
    assert isinstance(action, Update)
    assert action.crm_patch == {"Balance": 120}
    assert action.books_patch == {}


def test_a_crm_invoice_becomes_an_accounting_invoice() -> None:
    table = LookupTable()
    table.add("accounts", "5001", "b1", {})
    table.add("products", "p1", "bp1", {"Code": "W-1"})
    invoice = Record(
        "i1",
        "Invoices",
        {
            "Invoice_Number": "INV-9",
            "Subject": "Spring order",
            "Account_Name": {"id": "5001", "name": "Acme"},
            "Status": "Approved",
            "Invoiced_Items": [
                {"Product_Name": {"id": "p1"}, "Quantity": 3, "List_Price": 9.5},
            ],
        },
        T0,
    )
    (action,) = plan_page(FlowMap(INVOICES), PageInput(Side.CRM, [invoice], {}, lookups=table))
    assert isinstance(action, Create)
    assert action.fields == {
        "InvoiceNumber": "INV-9",
        "Reference": "Spring order",
        "Contact": {"ContactID": "b1"},
        "Type": "ACCREC",
        "LineItems": [{"ItemCode": "W-1", "Quantity": 3, "UnitAmount": 9.5}],
    }
    assert action.label == "INV-9"


def test_an_invoice_of_an_unsynced_product_waits_for_it() -> None:
    table = LookupTable()
    table.add("accounts", "5001", "b1", {})
    invoice = Record(
        "i1",
        "Invoices",
        {"Account_Name": {"id": "5001"}, "Invoiced_Items": [{"Product_Name": {"id": "p7"}}]},
        T0,
    )
    (action,) = plan_page(FlowMap(INVOICES), PageInput(Side.CRM, [invoice], {}, lookups=table))
    assert isinstance(action, Fail)
    assert action.missing is not None
    assert (action.missing.flow, action.missing.record_id) == ("products", "p7")


def test_an_accounting_invoice_status_reads_back_with_a_default() -> None:
    fmap = FlowMap(INVOICES)
    table = LookupTable()
    values, errors = fmap.read(Side.BOOKS, {"Status": "VOIDED"}, table)
    assert errors == []
    assert values["Status"] == "Draft"
    values, _ = fmap.read(Side.BOOKS, {"Status": "PAID"}, table)
    assert values["Status"] == "Paid"


def test_products_overwrite_a_matching_item_by_code() -> None:
    product = crm("p1", module="Products", Product_Name="Widget", Product_Code="W-1", Unit_Price=10)
    item = books(
        "bp9",
        module="Items",
        Name="Widget",
        Code=" W-1 ",
        SalesDetails={"UnitPrice": 8, "TaxType": "OUTPUT2"},
    )
    page = PageInput(Side.CRM, [product], {}, candidates={(0, "W-1"): [item]})
    (action,) = plan_page(FlowMap(PRODUCTS), page)
    assert isinstance(action, Update)
    assert action.binding is None
    assert action.matched_by == "Code"
    assert action.books_patch["SalesDetails"]["UnitPrice"] == 10
    # The code differs only by spaces a server trims: that is no change.
    assert "Code" not in action.books_patch
