"""Contacts: display-name uniqueness, types, persons, status, search and deletion."""

from __future__ import annotations

import pytest

from ledgerbridge.sandbox.core.clock import VirtualClock
from tests.contract.sandbox.zoho_books.conftest import BooksApi


def _create(api: BooksApi, **fields: object) -> dict[str, object]:
    contact: dict[str, object] = api.ok("POST", "/contacts", json=fields)["contact"]
    return contact


def test_create_answers_201_with_the_contact_and_zoho_datetimes(api: BooksApi) -> None:
    answer = api.post(
        "/contacts",
        {
            "contact_name": "  Widgets (EU) Ltd  ",
            "company_name": "Widgets (EU) Ltd",
            "contact_type": "customer",
            "customer_sub_type": "business",
            "contact_persons": [
                {"first_name": "Ann", "last_name": "Lee", "email": "ann@widgets.eu"},
                {"first_name": "Bo", "email": "bo@widgets.eu", "is_primary_contact": True},
            ],
        },
    )
    assert answer.status_code == 201
    contact = answer.json()["contact"]
    assert contact["contact_name"] == "Widgets (EU) Ltd"
    assert contact["email"] == "bo@widgets.eu"
    assert contact["first_name"] == "Bo"
    assert [p["is_primary_contact"] for p in contact["contact_persons"]] == [False, True]
    assert contact["status"] == "active"
    assert contact["last_modified_time"] == "2026-03-10T12:00:00+0000"
    assert contact["outstanding_receivable_amount"] == 0.0


def test_display_name_is_unique_ignoring_case_and_spaces(api: BooksApi) -> None:
    _create(api, contact_name="O'Brien & Sons")
    clash = api.post("/contacts", {"contact_name": " o'brien & SONS ", "contact_type": "vendor"})
    assert clash.status_code == 400
    assert clash.json()["code"] == 3062
    assert "already exists" in clash.json()["message"]


def test_renaming_onto_another_contact_is_refused_but_keeping_the_own_name_is_fine(
    api: BooksApi,
) -> None:
    _create(api, contact_name="First")
    second = _create(api, contact_name="Second")
    path = f"/contacts/{second['contact_id']}"
    assert api.put(path, {"contact_name": "FIRST"}).json()["code"] == 3062
    assert api.put(path, {"contact_name": "Second", "website": "x.io"}).json()["code"] == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("contact_type", "partner"), ("customer_sub_type", "company"), ("email", "not-an-email")],
)
def test_bad_enumerations_and_emails_are_refused_naming_the_field(
    api: BooksApi, field: str, value: str
) -> None:
    answer = api.post("/contacts", {"contact_name": "X", field: value})
    assert answer.status_code == 400
    assert answer.json() == {"code": 2, "message": f"Invalid value passed for {field}"}


def test_contact_name_is_required(api: BooksApi) -> None:
    answer = api.post("/contacts", {"company_name": "Nameless"})
    assert answer.status_code == 400
    assert answer.json()["code"] == 4


def test_vendor_and_individual_types_are_kept_and_filterable(api: BooksApi) -> None:
    _create(api, contact_name="Supplier", contact_type="vendor")
    _create(api, contact_name="Jane Doe", customer_sub_type="individual")
    vendors = api.ok("GET", "/contacts", params={"contact_type": "vendor"})["contacts"]
    assert [c["contact_name"] for c in vendors] == ["Supplier"]
    jane = api.ok("GET", "/contacts", params={"contact_name": "jane doe"})["contacts"][0]
    assert jane["customer_sub_type"] == "individual"


def test_list_leaves_out_contact_persons_but_get_has_them(api: BooksApi) -> None:
    made = _create(api, contact_name="P Co", contact_persons=[{"first_name": "A"}])
    listed = api.ok("GET", "/contacts")["contacts"][0]
    assert "contact_persons" not in listed
    full = api.ok("GET", f"/contacts/{made['contact_id']}")["contact"]
    assert len(full["contact_persons"]) == 1


def test_inactive_and_active_with_status_filters(api: BooksApi, clock: VirtualClock) -> None:
    made = _create(api, contact_name="Sleepy")
    _create(api, contact_name="Awake")
    clock.advance(5)
    body = api.ok("POST", f"/contacts/{made['contact_id']}/inactive")
    assert body["message"] == "The contact has been marked as inactive."

    def names(filter_by: str) -> list[str]:
        contacts = api.ok("GET", "/contacts", params={"filter_by": filter_by})["contacts"]
        return [c["contact_name"] for c in contacts]

    assert names("Status.Inactive") == ["Sleepy"]
    assert names("Status.Active") == ["Awake"]
    assert names("Status.All") == ["Awake", "Sleepy"]
    fetched = api.ok("GET", f"/contacts/{made['contact_id']}")["contact"]
    assert fetched["last_modified_time"] == "2026-03-10T12:00:05+0000"
    api.ok("POST", f"/contacts/{made['contact_id']}/active")
    assert names("Status.Inactive") == []
    assert api.get("/contacts", params={"filter_by": "Status.Bogus"}).json()["code"] == 2


def test_search_parameters(api: BooksApi) -> None:
    _create(api, contact_name="Acme Ltd", company_name="Acme", email="Sales@Acme.com")
    _create(api, contact_name="ACME  Ltd.", company_name="Acme Holdings")
    _create(api, contact_name="100% Pure_Co", email="hi@pure.co")

    def names(**params: str) -> list[str]:
        found = api.ok("GET", "/contacts", params=params)["contacts"]
        return sorted(c["contact_name"] for c in found)

    assert names(contact_name="acme ltd") == ["Acme Ltd"]
    assert names(contact_name_contains="acme") == ["ACME  Ltd.", "Acme Ltd"]
    assert names(contact_name_startswith="acme  l") == ["ACME  Ltd."]
    assert names(email="sales@acme.com") == ["Acme Ltd"]
    assert names(email_contains="pure") == ["100% Pure_Co"]
    assert names(company_name="acme holdings") == ["ACME  Ltd."]
    # LIKE wildcards in the search text are literal characters
    assert names(contact_name_contains="0% p") == ["100% Pure_Co"]
    assert names(contact_name_contains="_") == ["100% Pure_Co"]


def test_contact_person_endpoints_keep_one_primary(api: BooksApi) -> None:
    contact = _create(api, contact_name="People Co", email="first@people.co")
    cid = contact["contact_id"]
    added = api.ok(
        "POST",
        "/contacts/contactpersons",
        json={"contact_id": cid, "first_name": "Second", "email": "second@people.co"},
    )["contact_person"]
    assert added["is_primary_contact"] is False
    pid = added["contact_person_id"]
    api.ok("POST", f"/contacts/contactpersons/{pid}/primary")
    assert api.ok("GET", f"/contacts/{cid}")["contact"]["email"] == "second@people.co"
    api.ok("PUT", f"/contacts/contactpersons/{pid}", json={"email": "new@people.co"})
    people = api.ok("GET", f"/contacts/{cid}/contactpersons")["contact_persons"]
    assert [p["email"] for p in people if p["is_primary_contact"]] == ["new@people.co"]
    api.ok("DELETE", f"/contacts/contactpersons/{pid}")
    people = api.ok("GET", f"/contacts/{cid}/contactpersons")["contact_persons"]
    assert [(p["email"], p["is_primary_contact"]) for p in people] == [("first@people.co", True)]
    assert api.delete(f"/contacts/contactpersons/{pid}").json()["code"] == 1002


def test_custom_fields_merge_by_api_name(api: BooksApi) -> None:
    made = _create(
        api, contact_name="CF", custom_fields=[{"api_name": "cf_crm_id", "value": "123"}]
    )
    updated = api.ok(
        "PUT",
        f"/contacts/{made['contact_id']}",
        json={"custom_fields": [{"api_name": "cf_region", "value": "EU"}]},
    )["contact"]
    values = {f["api_name"]: f["value"] for f in updated["custom_fields"]}
    assert values == {"cf_crm_id": "123", "cf_region": "EU"}


def test_delete_and_missing_contact(api: BooksApi) -> None:
    made = _create(api, contact_name="Gone")
    assert api.ok("DELETE", f"/contacts/{made['contact_id']}")["message"] == (
        "The contact has been deleted."
    )
    missing = api.get(f"/contacts/{made['contact_id']}")
    assert missing.status_code == 404
    assert missing.json() == {"code": 1002, "message": "Contact does not exist."}


def test_contact_with_transactions_cannot_be_deleted(api: BooksApi) -> None:
    made = _create(api, contact_name="Busy")
    api.ok(
        "POST",
        "/invoices",
        json={"customer_id": made["contact_id"], "line_items": [{"name": "Work", "rate": 5}]},
    )
    refused = api.delete(f"/contacts/{made['contact_id']}")
    assert refused.status_code == 400
    assert refused.json()["code"] == 3009


def test_non_latin_names_round_trip(api: BooksApi) -> None:
    for name in ("株式会社テスト", "ООО Ромашка", "شركة الاختبار", "Ελληνική Εταιρεία"):
        made = _create(api, contact_name=name)
        assert api.ok("GET", f"/contacts/{made['contact_id']}")["contact"]["contact_name"] == name
