"""Links to a record in its own system's web app."""

from __future__ import annotations

from ledgerbridge.portal.links import record_url, system_label


def test_zoho_crm_links_use_the_data_centre_and_the_module_tab() -> None:
    assert (
        record_url("zoho_crm", {"data_centre": "eu"}, "Accounts", "4150868000000224001")
        == "https://crm.zoho.eu/crm/tab/Accounts/4150868000000224001"
    )
    assert record_url("zoho_crm", {}, "Purchase_Orders", "7") == (
        "https://crm.zoho.com/crm/tab/Purchase_Orders/7"
    )
    assert record_url("zoho_crm", {"data_centre": "com.au"}, "Leads", "1") == (
        "https://crm.zoho.com.au/crm/tab/Leads/1"
    )


def test_a_strange_data_centre_falls_back_to_com() -> None:
    url = record_url("zoho_crm", {"data_centre": "evil.example/x?"}, "Accounts", "1")
    assert url == "https://crm.zoho.com/crm/tab/Accounts/1"


def test_xero_links_per_module_and_none_for_modules_without_a_page() -> None:
    cid = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    assert record_url("xero", {}, "Contacts", cid) == f"https://go.xero.com/Contacts/View/{cid}"
    assert record_url("xero", {}, "Invoices", cid) == (
        f"https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID={cid}"
    )
    assert record_url("xero", {}, "Items", cid) == f"https://go.xero.com/Accounts/Inventory/{cid}"
    assert record_url("xero", {}, "TaxRates", cid) is None


def test_zoho_books_links_need_the_organisation() -> None:
    settings = {"organization_id": "10234695", "data_centre": "in"}
    assert record_url("zoho_books", settings, "contacts", "460000000026049") == (
        "https://books.zoho.in/app/10234695#/contacts/460000000026049"
    )
    assert record_url("zoho_books", settings, "items", "9") == (
        "https://books.zoho.in/app/10234695#/inventory/items/9"
    )
    assert record_url("zoho_books", {}, "contacts", "9") is None


def test_ids_are_quoted_so_they_cannot_change_the_url() -> None:
    url = record_url("zoho_crm", {}, "Accounts", "1/../../x?y=#z")
    assert url == "https://crm.zoho.com/crm/tab/Accounts/1%2F..%2F..%2Fx%3Fy%3D%23z"


def test_sandbox_memory_and_unknown_systems_get_no_link() -> None:
    assert record_url("zoho_crm", {"api_domain": "http://127.0.0.1:8123"}, "Accounts", "1") is None
    local_xero = {"api_base": "http://localhost:9/api.xro/2.0"}
    assert record_url("xero", local_xero, "Contacts", "1") is None
    assert record_url("memory", {}, "People", "1") is None
    assert record_url("zoho_crm", {}, "Accounts", "") is None
    assert system_label("zoho_books") == "Zoho Books"
