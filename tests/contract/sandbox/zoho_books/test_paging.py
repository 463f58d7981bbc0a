"""Pages, page_context, sorting and the last_modified_time filter with its no-colon offset."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.zoho_books import ZohoBooksState
from ledgerbridge.sandbox.zoho_books.formats import format_datetime
from tests.contract.sandbox.zoho_books.conftest import START, BooksApi


@pytest.fixture
def many(state: ZohoBooksState, org_id: str) -> list[str]:
    contacts = [{"contact_name": f"Contact {i:04d}"} for i in range(450)]
    return state.bulk_load(org_id, contacts=contacts).contacts


def test_pages_of_200_with_has_more_page(api: BooksApi, many: list[str]) -> None:
    seen: list[str] = []
    page = 1
    while True:
        body = api.ok("GET", "/contacts", params={"page": page, "per_page": 200})
        seen += [c["contact_name"] for c in body["contacts"]]
        context = body["page_context"]
        assert context["page"] == page
        assert context["per_page"] == 200
        assert context["report_name"] == "Contacts"
        assert context["sort_column"] == "contact_name"
        assert context["sort_order"] == "A"
        if not context["has_more_page"]:
            break
        page += 1
    assert page == 3
    assert seen == [f"Contact {i:04d}" for i in range(450)]


def test_per_page_is_capped_at_200_and_bad_values_refused(api: BooksApi, many: list[str]) -> None:
    body = api.ok("GET", "/contacts", params={"per_page": 1000})
    assert len(body["contacts"]) == 200
    assert body["page_context"]["per_page"] == 200
    assert api.get("/contacts", params={"page": 0}).json()["code"] == 2
    assert api.get("/contacts", params={"per_page": "ten"}).json()["code"] == 2
    beyond = api.ok("GET", "/contacts", params={"page": 9})
    assert beyond["contacts"] == []
    assert beyond["page_context"]["has_more_page"] is False


def test_sorting_descending_and_unknown_sort_column(api: BooksApi, many: list[str]) -> None:
    body = api.ok(
        "GET", "/contacts", params={"sort_column": "contact_name", "sort_order": "D", "per_page": 3}
    )
    assert [c["contact_name"] for c in body["contacts"]] == [
        "Contact 0449",
        "Contact 0448",
        "Contact 0447",
    ]
    assert api.get("/contacts", params={"sort_column": "shoe_size"}).json() == {
        "code": 2,
        "message": "Invalid value passed for sort_column",
    }
    assert api.get("/contacts", params={"sort_order": "up"}).json()["code"] == 2


def test_sort_by_last_modified_time_follows_edits(api: BooksApi, clock: VirtualClock) -> None:
    first = api.ok("POST", "/contacts", json={"contact_name": "First"})["contact"]
    clock.advance(1)
    api.ok("POST", "/contacts", json={"contact_name": "Second"})
    clock.advance(1)
    api.ok("PUT", f"/contacts/{first['contact_id']}", json={"website": "first.example"})
    body = api.ok(
        "GET", "/contacts", params={"sort_column": "last_modified_time", "sort_order": "A"}
    )
    assert [c["contact_name"] for c in body["contacts"]] == ["Second", "First"]


def test_last_modified_time_is_at_or_after_to_the_second(
    api: BooksApi, clock: VirtualClock
) -> None:
    clock.advance(0.7)  # stored with milliseconds, shown as 12:00:00
    api.ok("POST", "/contacts", json={"contact_name": "Early"})
    clock.advance(1)
    api.ok("POST", "/contacts", json={"contact_name": "Late"})

    def names(since: str) -> list[str]:
        found = api.ok("GET", "/contacts", params={"last_modified_time": since})["contacts"]
        return [c["contact_name"] for c in found]

    pacific = timezone(timedelta(hours=-8))
    assert format_datetime(START, pacific) == "2026-03-10T04:00:00-0800"
    assert names("2026-03-10T04:00:00-0800") == ["Early", "Late"]
    assert names("2026-03-10T04:00:01-0800") == ["Late"]
    assert names("2026-03-10T12:00:01+0000") == ["Late"]
    assert names("2026-03-10T12:00:02+0000") == []
    # a colon in the offset and an unencoded "+" (read as a space) are tolerated
    assert names("2026-03-10T17:30:01+05:30") == ["Late"]
    assert names("2026-03-10T17:30:01 0530") == ["Late"]
    assert api.get("/contacts", params={"last_modified_time": "yesterday"}).json() == {
        "code": 2,
        "message": "Invalid value passed for last_modified_time",
    }


def test_answers_use_the_organization_offset_without_a_colon(
    api: BooksApi, state: ZohoBooksState
) -> None:
    org = state.add_organization("Pacific Books", utc_offset="-0800")["organization_id"]
    made = api.ok("POST", "/contacts", org=org, json={"contact_name": "PST"})["contact"]
    assert made["created_time"] == "2026-03-10T04:00:00-0800"
    assert made["last_modified_time"] == "2026-03-10T04:00:00-0800"


def test_balance_changes_do_not_bump_the_contact_modified_time(
    api: BooksApi, clock: VirtualClock
) -> None:
    customer = api.ok("POST", "/contacts", json={"contact_name": "Payer"})["contact"]
    cid = customer["contact_id"]
    clock.advance(60)
    invoice = api.ok(
        "POST", "/invoices", json={"customer_id": cid, "line_items": [{"name": "X", "rate": 40}]}
    )["invoice"]
    api.ok("POST", f"/invoices/{invoice['invoice_id']}/status/sent")
    after = api.ok("GET", f"/contacts/{cid}")["contact"]
    assert after["outstanding_receivable_amount"] == 40.0
    assert after["last_modified_time"] == customer["last_modified_time"]
    since = api.ok("GET", "/contacts", params={"last_modified_time": "2026-03-10T12:00:30+0000"})
    assert since["contacts"] == []
