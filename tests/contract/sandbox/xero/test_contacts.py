"""Contacts: uniqueness, archiving, contact persons, flags that do not bump UpdatedDateUTC."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledgerbridge.sandbox.xero import XeroValidationError
from ledgerbridge.sandbox.xero.dates import ms_date
from tests.contract.sandbox.xero.conftest import START, Xero

UNIQUE = (
    "The contact name {} is already assigned to another contact. "
    "The contact name must be unique across all active contacts."
)


def test_create_answers_the_envelope_and_record(xero: Xero) -> None:
    answer = xero.put(
        "/Contacts",
        json={
            "Contacts": [
                {"Name": "Acme", "EmailAddress": "a@acme.example", "ContactNumber": "CRM-1"}
            ]
        },
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["Status"] == "OK"
    assert body["DateTimeUTC"].startswith("/Date(")
    contact = body["Contacts"][0]
    assert contact["StatusAttributeString"] == "OK"
    assert contact["ContactStatus"] == "ACTIVE"
    assert contact["UpdatedDateUTC"] == ms_date(START)
    assert xero.get(f"/Contacts/{contact['ContactID']}").json()["Contacts"][0]["Name"] == "Acme"
    # ContactNumber works in place of the id
    assert xero.get("/Contacts/CRM-1").json()["Contacts"][0]["ContactID"] == contact["ContactID"]
    assert xero.get("/Contacts/00000000-0000-0000-0000-000000000000").status_code == 404


def test_name_unique_among_active_contacts_only(xero: Xero) -> None:
    first = xero.state.add_contact(Name="Acme")
    clash = xero.put("/Contacts", json={"Contacts": [{"Name": "ACME"}]})
    assert clash.status_code == 400
    body = clash.json()
    assert body["ErrorNumber"] == 10
    assert body["Type"] == "ValidationException"
    assert body["Message"] == "A validation exception occurred"
    assert body["Elements"][0]["ValidationErrors"] == [{"Message": UNIQUE.format("ACME")}]
    xero.state.archive_contact(first["ContactID"])
    assert xero.put("/Contacts", json={"Contacts": [{"Name": "Acme"}]}).status_code == 200
    # restoring the archived one now clashes
    restore = xero.post(
        f"/Contacts/{first['ContactID']}", json={"Contacts": [{"ContactStatus": "ACTIVE"}]}
    )
    assert restore.status_code == 400
    assert restore.json()["Elements"][0]["ValidationErrors"][0]["Message"] == UNIQUE.format("Acme")


def test_archived_contacts_are_hidden_unless_asked_for(xero: Xero) -> None:
    kept = xero.state.add_contact(Name="Kept")
    gone = xero.state.add_contact(Name="Gone")
    xero.post(
        "/Contacts",
        json={"Contacts": [{"ContactID": gone["ContactID"], "ContactStatus": "ARCHIVED"}]},
    )
    names = [c["Name"] for c in xero.get("/Contacts").json()["Contacts"]]
    assert names == ["Kept"]
    everything = xero.get("/Contacts", params={"includeArchived": "true"}).json()["Contacts"]
    assert {c["Name"]: c["ContactStatus"] for c in everything} == {
        "Kept": "ACTIVE",
        "Gone": "ARCHIVED",
    }
    assert kept["ContactID"] != gone["ContactID"]


def test_at_most_five_contact_persons(xero: Xero) -> None:
    persons = [{"FirstName": f"P{n}", "EmailAddress": f"p{n}@x.example"} for n in range(6)]
    answer = xero.put("/Contacts", json={"Contacts": [{"Name": "Many", "ContactPersons": persons}]})
    assert answer.status_code == 400
    assert "maximum of 5 contact persons" in answer.text
    ok = xero.put("/Contacts", json={"Contacts": [{"Name": "Five", "ContactPersons": persons[:5]}]})
    assert len(ok.json()["Contacts"][0]["ContactPersons"]) == 5


def test_post_by_id_updates_one_and_bumps_updated_date(xero: Xero) -> None:
    contact = xero.state.add_contact(Name="Acme", EmailAddress="old@acme.example")
    xero.clock.advance(90)
    answer = xero.post(
        f"/Contacts/{contact['ContactID']}",
        json={"Contacts": [{"EmailAddress": "new@acme.example"}]},
    )
    updated = answer.json()["Contacts"][0]
    assert updated["EmailAddress"] == "new@acme.example"
    assert updated["Name"] == "Acme"
    assert updated["UpdatedDateUTC"] == ms_date(START + timedelta(seconds=90))


def test_invoices_set_is_customer_without_bumping_updated_date(xero: Xero) -> None:
    contact = xero.state.add_contact(Name="Buyer")
    supplier = xero.state.add_contact(Name="Seller")
    xero.clock.advance(600)
    line = [{"Description": "Work", "Quantity": 1, "UnitAmount": 100}]
    xero.state.add_invoice(
        Type="ACCREC",
        Contact={"ContactID": contact["ContactID"]},
        LineItems=line,
        Status="AUTHORISED",
    )
    xero.state.add_invoice(
        Type="ACCPAY",
        Contact={"ContactID": supplier["ContactID"]},
        LineItems=line,
        Status="AUTHORISED",
    )
    buyer = xero.get(f"/Contacts/{contact['ContactID']}").json()["Contacts"][0]
    seller = xero.get(f"/Contacts/{supplier['ContactID']}").json()["Contacts"][0]
    assert (buyer["IsCustomer"], buyer["IsSupplier"]) == (True, False)
    assert (seller["IsCustomer"], seller["IsSupplier"]) == (False, True)
    assert buyer["UpdatedDateUTC"] == contact["UpdatedDateUTC"]
    # so an incremental read does not see them
    since = xero.get("/Contacts", headers={"If-Modified-Since": "2030-05-01T09:05:00Z"})
    assert since.json()["Contacts"] == []


def test_read_only_flags_in_a_request_are_ignored(xero: Xero) -> None:
    with pytest.raises(XeroValidationError, match="must be specified"):
        xero.state.add_contact(EmailAddress="nobody@x.example")
    made = xero.state.add_contact(Name="Flags", IsCustomer=True)
    assert made["IsCustomer"] is False


def test_invalid_email_is_refused(xero: Xero) -> None:
    answer = xero.put("/Contacts", json={"Contacts": [{"Name": "Bad", "EmailAddress": "nope"}]})
    assert answer.status_code == 400
    assert "Email address must be valid." in answer.text
