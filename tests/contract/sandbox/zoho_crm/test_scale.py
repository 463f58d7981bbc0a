"""Reads and lookups stay on indexes, so 100,000 records per module stay fast."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledgerbridge.sandbox.zoho_crm import ZohoCrmState
from ledgerbridge.sandbox.zoho_crm.state import Listing


@pytest.fixture(scope="module")
def big() -> Iterator[ZohoCrmState]:
    state = ZohoCrmState()
    state.bulk_insert(
        "Contacts",
        ({"Last_Name": f"P{n}", "Email": f"p{n}@x.test"} for n in range(100_000)),
        spacing_seconds=1,
    )
    yield state
    state.close()


def plans_of(state: ZohoCrmState, action: object) -> list[list[str]]:
    seen: list[str] = []
    state.storage.trace(seen.append)
    try:
        assert callable(action)
        action()
    finally:
        state.storage.trace(None)
    reads = [sql for sql in seen if sql.lstrip().upper().startswith("SELECT") and "records" in sql]
    assert reads
    return [state.storage.plan(sql) for sql in reads]


def assert_no_scan(plans: list[list[str]]) -> None:
    for plan in plans:
        assert not any(step.startswith("SCAN r") for step in plan), plan


def test_search_by_email_uses_the_key_index(big: ZohoCrmState) -> None:
    found = []
    plans = plans_of(
        big,
        lambda: found.append(
            big.search("Contacts", criteria="((Email:equals:P5@x.test)or(Email:equals:p9@x.test))")
        ),
    )
    assert found[0].info["count"] == 2
    assert_no_scan(plans)
    assert any("records_key_Email" in step for plan in plans for step in plan)


def test_upsert_and_unique_checks_use_the_key_index(big: ZohoCrmState) -> None:
    answers: list[list[dict[str, object]]] = []

    def write() -> None:
        answers.append(
            big.write(
                "Contacts",
                [
                    {"Last_Name": "Again", "Email": "p77@x.test"},
                    {"Last_Name": "N", "Email": "n@x.test"},
                ],
                mode="upsert",
                trigger=[],
            )
        )

    assert_no_scan(plans_of(big, write))
    assert [answer["action"] for answer in answers[0]] == ["update", "insert"]


def test_modified_time_pages_walk_the_index(big: ZohoCrmState) -> None:
    listing = Listing("Contacts", ["Email"], "Modified_Time", "asc", since=None)
    pages = []
    plans = plans_of(big, lambda: pages.append(big.list_records(listing, per_page=200)))
    assert_no_scan(plans)
    token = pages[0].info["next_page_token"]
    later = plans_of(big, lambda: pages.append(big.list_records(listing, page_token=token)))
    assert_no_scan(later)
    emails = {row["Email"] for page in pages for row in page.rows}
    assert len(emails) == 400
