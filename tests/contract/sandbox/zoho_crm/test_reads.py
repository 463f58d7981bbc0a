"""Reading records: fields, paging (page and page_token), sorting, If-Modified-Since, views."""

from __future__ import annotations

from datetime import timedelta

from tests.contract.sandbox.zoho_crm.conftest import START, Crm, account, at, contact


def test_fields_parameter_is_required(crm: Crm) -> None:
    crm.insert("Accounts", account("Acme"))
    answer = crm.get("/Accounts")
    assert answer.status_code == 400
    assert answer.json()["code"] == "REQUIRED_PARAM_MISSING"
    assert answer.json()["details"] == {"param_name": "fields"}


def test_more_than_fifty_fields_are_refused(crm: Crm) -> None:
    crm.insert("Accounts", account("Acme"))
    names = ",".join(f"Field_{n}" for n in range(51))
    answer = crm.get("/Accounts", params={"fields": names})
    assert answer.status_code == 400
    assert answer.json()["code"] == "LIMIT_EXCEEDED"
    assert answer.json()["details"]["limit"] == 50
    fifty = ",".join(["Account_Name"] * 50)
    assert crm.get("/Accounts", params={"fields": fifty}).status_code == 200


def test_only_requested_fields_and_id_come_back_with_lookup_names(crm: Crm) -> None:
    [acme] = crm.insert("Accounts", account("Acme"))
    crm.insert("Contacts", contact("Smith", "jo@acme.test", Account_Name={"id": acme}))
    answer = crm.get("/Contacts", params={"fields": "Email,Account_Name,Modified_Time"})
    [record] = answer.json()["data"]
    assert set(record) == {"id", "Email", "Account_Name", "Modified_Time"}
    assert record["Account_Name"] == {"name": "Acme", "id": acme}
    assert record["Modified_Time"] == "2026-03-10T12:00:00+00:00"
    assert len(record["id"]) == 19 and record["id"].isdigit()


def test_per_page_over_two_hundred_is_refused(crm: Crm) -> None:
    crm.insert("Accounts", account("Acme"))
    answer = crm.get("/Accounts", params={"fields": "Account_Name", "per_page": 201})
    assert answer.status_code == 400
    assert answer.json()["code"] == "INVALID_DATA"
    assert answer.json()["details"]["param_name"] == "per_page"


def test_empty_listing_is_204_without_body(crm: Crm) -> None:
    answer = crm.get("/Vendors", params={"fields": "Vendor_Name"})
    assert answer.status_code == 204
    assert answer.content == b""


def test_unknown_module(crm: Crm) -> None:
    answer = crm.get("/Widgets", params={"fields": "Name"})
    assert answer.status_code == 400
    assert answer.json()["code"] == "INVALID_MODULE"


def test_unknown_path_answers_in_the_vendor_shape(crm: Crm) -> None:
    answer = crm.raw.get(
        "/crm/v8/Accounts/actions/unknown/deeper",
        headers={"Authorization": f"Zoho-oauthtoken {crm.token}"},
    )
    assert answer.status_code == 404
    assert answer.json()["code"] == "INVALID_URL_PATTERN"


def test_page_reaches_only_two_thousand_then_page_token_goes_on(crm: Crm) -> None:
    crm.state.bulk_insert(
        "Contacts",
        (contact(f"Person {n:04d}", f"p{n}@bulk.test") for n in range(2500)),
        modified=START - timedelta(days=3),
        spacing_seconds=1,
    )
    params = {
        "fields": "Last_Name",
        "per_page": 200,
        "sort_by": "Modified_Time",
        "sort_order": "asc",
    }
    tenth = crm.get("/Contacts", params={**params, "page": 10}).json()
    assert tenth["info"]["count"] == 200
    assert tenth["info"]["more_records"] is True
    assert tenth["data"][-1]["Last_Name"] == "Person 1999"
    beyond = crm.get("/Contacts", params={**params, "page": 11})
    assert beyond.status_code == 400
    assert beyond.json()["code"] == "LIMIT_REACHED"
    assert beyond.json()["details"] == {"limit": "2000"}

    seen = [record["Last_Name"] for record in tenth["data"]]
    token = tenth["info"]["next_page_token"]
    assert tenth["info"]["page_token_expiry"] == "2026-03-11T12:00:00+00:00"
    while token:
        page = crm.get("/Contacts", params={"fields": "Last_Name", "page_token": token}).json()
        seen += [record["Last_Name"] for record in page["data"]]
        assert page["info"]["previous_page_token"] == token
        token = page["info"].get("next_page_token")
    assert seen[0] == "Person 1800"
    assert seen[-1] == "Person 2499"
    assert len(seen) == 700
    assert len(set(seen)) == 700


def test_page_token_expires_after_a_day(crm: Crm) -> None:
    crm.state.bulk_insert("Accounts", (account(f"A{n}") for n in range(3)))
    first = crm.get("/Accounts", params={"fields": "Account_Name", "per_page": 2}).json()
    token = first["info"]["next_page_token"]
    crm.clock.advance(86401)
    fresh = crm.oauth.issue_for_tests().access_token
    answer = crm.get(
        "/Accounts", params={"fields": "Account_Name", "page_token": token}, token=fresh
    )
    assert answer.status_code == 400
    assert answer.json()["details"]["param_name"] == "page_token"


def test_if_modified_since_includes_the_boundary_second(crm: Crm) -> None:
    crm.clock.set(at(9))
    [early] = crm.insert("Accounts", account("Early"))
    crm.clock.set(at(10))
    [boundary] = crm.insert("Accounts", account("Boundary"))
    crm.clock.set(at(10, 0, 1))
    [late] = crm.insert("Accounts", account("Late"))
    params = {
        "fields": "Account_Name,Modified_Time",
        "sort_by": "Modified_Time",
        "sort_order": "asc",
    }
    answer = crm.get(
        "/Accounts", params=params, headers={"If-Modified-Since": "2026-03-10T10:00:00+00:00"}
    )
    assert [record["id"] for record in answer.json()["data"]] == [boundary, late]
    later = crm.get(
        "/Accounts", params=params, headers={"If-Modified-Since": "2026-03-10T10:00:02+00:00"}
    )
    assert later.status_code == 204
    offset = crm.get(
        "/Accounts", params=params, headers={"If-Modified-Since": "2026-03-10T14:30:00+05:30"}
    )
    assert [record["id"] for record in offset.json()["data"]] == [early, boundary, late]


def test_edit_moves_record_to_the_end_of_modified_order(crm: Crm) -> None:
    crm.clock.set(at(9))
    first, second = crm.insert("Accounts", account("First"), account("Second"))
    crm.clock.set(at(11))
    crm.state.edit("Accounts", first, {"Phone": "+44 20 7946 0000"})
    answer = crm.get(
        "/Accounts",
        params={"fields": "Modified_Time", "sort_by": "Modified_Time", "sort_order": "desc"},
    )
    data = answer.json()["data"]
    assert [record["id"] for record in data] == [first, second]
    assert data[0]["Modified_Time"] == "2026-03-10T11:00:00+00:00"
    assert answer.json()["info"]["sort_by"] == "Modified_Time"


def test_ids_filter_and_get_by_id(crm: Crm) -> None:
    ids = crm.insert("Accounts", account("A"), account("B"), account("C"))
    answer = crm.get("/Accounts", params={"fields": "Account_Name", "ids": f"{ids[0]},{ids[2]}"})
    assert sorted(record["Account_Name"] for record in answer.json()["data"]) == ["A", "C"]
    one = crm.get(f"/Accounts/{ids[1]}")
    assert one.json()["data"][0]["Account_Name"] == "B"
    assert one.json()["data"][0]["Created_By"]["name"] == "Sandbox Admin"
    assert crm.get("/Accounts/6051205000009999999").status_code == 204


def test_custom_view_add_to_xero(crm: Crm) -> None:
    crm.insert(
        "Accounts",
        account("Yes", Add_to_Xero=True),
        account("No", Add_to_Xero=False),
        account("Unset"),
    )
    view = crm.state.view_for("Accounts", "Add to Xero")
    answer = crm.get("/Accounts", params={"fields": "Account_Name", "cvid": view.id})
    assert [record["Account_Name"] for record in answer.json()["data"]] == ["Yes"]
    everything = crm.state.view_for("Accounts", "All Accounts")
    assert (
        crm.get("/Accounts", params={"fields": "id", "cvid": everything.id}).json()["info"]["count"]
        == 3
    )


def test_custom_views_are_listed_per_module(crm: Crm) -> None:
    answer = crm.get("/settings/custom_views", params={"module": "Contacts"})
    views = {view["name"]: view for view in answer.json()["custom_views"]}
    assert set(views) == {"All Contacts", "Add to Xero"}
    assert views["All Contacts"]["system_defined"] is True
    crm.insert("Contacts", contact("Flagged", Add_to_Xero=True), contact("Plain"))
    chosen = crm.get(
        "/Contacts", params={"fields": "Last_Name", "cvid": views["Add to Xero"]["id"]}
    )
    assert [record["Last_Name"] for record in chosen.json()["data"]] == ["Flagged"]
    wrong = crm.get("/Accounts", params={"fields": "id", "cvid": views["Add to Xero"]["id"]})
    assert wrong.status_code == 400


def test_search_criteria_on_times_with_offsets(crm: Crm) -> None:
    crm.clock.set(at(9))
    crm.insert("Accounts", account("Morning"))
    crm.clock.set(at(12, 30))
    crm.insert("Accounts", account("Afternoon"))
    answer = crm.get(
        "/Accounts/search",
        params={
            "criteria": "(Modified_Time:greater_equal:2026-03-10T14:00:00+02:00)",
            "per_page": 10,
        },
    )
    assert [record["Account_Name"] for record in answer.json()["data"]] == ["Afternoon"]


def test_times_come_back_in_the_org_time_zone(crm: Crm) -> None:
    crm.state.org.time_zone = "Asia/Kolkata"
    [ident] = crm.insert("Accounts", account("Mumbai"))
    record = crm.get(f"/Accounts/{ident}").json()["data"][0]
    assert record["Modified_Time"] == "2026-03-10T17:30:00+05:30"
    same = crm.get(
        "/Accounts",
        params={"fields": "Account_Name"},
        headers={"If-Modified-Since": record["Modified_Time"]},
    )
    assert [found["id"] for found in same.json()["data"]] == [ident]
