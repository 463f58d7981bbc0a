"""Modules, fields (with custom fields), users and the organisation."""

from __future__ import annotations

import pytest

from ledgerbridge.sandbox.core.conformance import ConformanceError
from ledgerbridge.sandbox.zoho_crm.fields import BOOLEAN, TEXT
from tests.contract.sandbox.zoho_crm.conftest import Crm


def test_modules_list_the_six_integration_modules(crm: Crm) -> None:
    answer = crm.get("/settings/modules")
    assert answer.status_code == 200
    names = [module["api_name"] for module in answer.json()["modules"]]
    assert names == ["Accounts", "Contacts", "Vendors", "Products", "Invoices", "Purchase_Orders"]


def test_fields_describe_types_lookups_picklists_and_integration_fields(crm: Crm) -> None:
    answer = crm.get("/settings/fields", params={"module": "Invoices"})
    fields = {field["api_name"]: field for field in answer.json()["fields"]}
    assert fields["Account_Name"]["data_type"] == "lookup"
    assert fields["Account_Name"]["lookup"]["module"]["api_name"] == "Accounts"
    assert fields["Account_Name"]["system_mandatory"] is True
    assert fields["Invoiced_Items"]["json_type"] == "jsonarray"
    assert fields["Invoice_Number"]["read_only"] is True
    assert fields["Grand_Total"]["read_only"] is True
    for name in ("Add_to_Xero", "Xero_ID", "Xero_Invoice_No", "Xero_Invoice_URL", "Branding_Theme"):
        assert fields[name]["custom_field"] is True
    for name in ("Add_to_Books", "Books_ID", "Xero_Status", "Amount_Paid", "Amount_Due"):
        assert fields[name]["custom_field"] is True
    assert fields["Add_to_Xero"]["data_type"] == "boolean"
    themes = [value["actual_value"] for value in fields["Branding_Theme"]["pick_list_values"]]
    assert "Standard" in themes
    assert fields["Branding_Theme"]["pick_list_values"][1]["display_value"] == "Standard"


def test_account_and_contact_fields(crm: Crm) -> None:
    accounts = crm.get("/settings/fields", params={"module": "Accounts"}).json()["fields"]
    names = {field["api_name"] for field in accounts}
    assert {"Outstanding_Receivables", "Total_Sales", "Xero_ID", "Books_ID"} <= names
    contacts = crm.get("/settings/fields", params={"module": "Contacts"}).json()["fields"]
    email = next(field for field in contacts if field["api_name"] == "Email")
    assert email["unique"] == {"casesensitive": False}
    assert email["data_type"] == "email"


def test_custom_field_added_as_a_user_would(crm: Crm) -> None:
    crm.state.add_custom_field("Accounts", "Region", TEXT, label="Region")
    crm.state.add_custom_field("Accounts", "Key_Account", BOOLEAN)
    fields = crm.get("/settings/fields", params={"module": "Accounts"}).json()["fields"]
    region = next(field for field in fields if field["api_name"] == "Region")
    assert (region["custom_field"], region["field_label"]) == (True, "Region")
    crm.insert("Accounts", {"Account_Name": "Acme", "Region": "EMEA", "Key_Account": True})
    found = crm.get("/Accounts", params={"fields": "Region,Key_Account"}).json()["data"][0]
    assert (found["Region"], found["Key_Account"]) == ("EMEA", True)


def test_fields_need_a_known_module(crm: Crm) -> None:
    with pytest.raises(ConformanceError):
        crm.get("/settings/fields")
    # the spec makes module required, so the emulator's answer is read around the validator
    missing = crm.raw.get(
        "/crm/v8/settings/fields", headers={"Authorization": f"Zoho-oauthtoken {crm.token}"}
    )
    assert missing.status_code == 400
    assert missing.json()["code"] == "REQUIRED_PARAM_MISSING"
    unknown = crm.get("/settings/fields", params={"module": "Widgets"})
    assert unknown.json()["code"] == "INVALID_MODULE"


def test_users(crm: Crm) -> None:
    current = crm.get("/users", params={"type": "CurrentUser"}).json()
    assert [user["full_name"] for user in current["users"]] == ["Sandbox Admin"]
    everyone = crm.get("/users", params={"type": "ActiveUsers"}).json()
    assert everyone["info"]["count"] == 2
    assert crm.get("/users", params={"type": "DeactiveUsers"}).status_code == 204


def test_org_with_currency_switch(crm: Crm) -> None:
    org = crm.get("/org").json()["org"][0]
    assert (org["iso_code"], org["mc_status"]) == ("USD", False)
    assert org["zgid"]
    assert org["primary_zuid"]
    crm.state.set_multi_currency(True, "GBP")
    org = crm.get("/org").json()["org"][0]
    assert (org["iso_code"], org["mc_status"]) == ("GBP", True)
