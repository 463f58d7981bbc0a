"""The change feed, id reads and tombstones of the Zoho CRM connector."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledgerbridge.domain.records import Patch, Record
from tests.contract.connectors.subjects.zoho_crm import START, CrmWorld
from tests.integration.connectors.zoho_crm.transports import Recorder


def _all(world: CrmWorld, module: str, since=None, fields=None):  # type: ignore[no-untyped-def]
    return [
        r for page in world.crm.read_changes(module, since, fields=fields) for r in page.records
    ]


def test_pages_to_the_end_starting_again_at_each_page_s_last_second(
    recorder: tuple[CrmWorld, Recorder],
) -> None:
    world, rec = recorder
    docs = [{"Account_Name": f"Paged {i:05d}"} for i in range(2450)]
    ids = world.state.bulk_insert("Accounts", docs, modified=START, spacing_seconds=1)
    records = _all(world, "Accounts", fields=["Account_Name"])
    assert [r.id for r in records] == ids  # every record once, oldest change first
    times = [r.modified_at for r in records]
    assert times == sorted(times) and times[0].utcoffset() == timedelta(0)
    lists = rec.to("GET", "/crm/v8/Accounts")
    # each request starts at the second of the page before's last record: 199 new a page
    assert len(lists) == 13  # ceil(2450 / 199)
    assert all(s.param("per_page") == "200" for s in lists)
    assert all(s.param("sort_by") == "Modified_Time" for s in lists)
    assert all(s.param("sort_order") == "asc" for s in lists)
    assert all(s.param("page") == "1" for s in lists)
    assert "if-modified-since" not in lists[0].headers
    starts = [s.headers["if-modified-since"] for s in lists[1:]]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)


def test_one_second_of_more_than_two_thousand_records_pages_on_by_number_then_token(
    recorder: tuple[CrmWorld, Recorder],
) -> None:
    world, rec = recorder
    docs = [{"Account_Name": f"Burst {i:05d}"} for i in range(2450)]
    ids = world.state.bulk_insert("Accounts", docs, modified=START)
    records = _all(world, "Accounts", fields=["Account_Name"])
    assert sorted(r.id for r in records) == sorted(ids) and len(records) == len(ids)
    lists = rec.to("GET", "/crm/v8/Accounts")
    assert len(lists) == 13
    assert [s.param("page") for s in lists[:10]] == [str(n) for n in range(1, 11)]
    # past 2,000 records only page_token reaches further
    assert all(s.param("page_token") and s.param("page") is None for s in lists[10:])


def _write_back(world: CrmWorld, module: str, page_records: list[Record]) -> None:
    """What the engine does after creating a page's partners: a field set on each record."""
    patches = [Patch(r.id, {"Description": f"partner of {r.id}"}) for r in page_records]
    assert all(res.ok for res in world.crm.update_many(module, patches))


@pytest.mark.parametrize("spacing", [1, 0], ids=["one-a-second", "all-in-one-second"])
def test_records_written_back_while_the_feed_is_read_hide_no_other(
    world: CrmWorld, spacing: int
) -> None:
    # Writing to a record moves it to the end of the list sorted by modification time; read by
    # page number alone, every record behind it would move up onto a page already read.
    docs = [{"Account_Name": f"Shift {i:04d}"} for i in range(650)]
    ids = world.state.bulk_insert("Accounts", docs, modified=START, spacing_seconds=spacing)
    world.clock.advance(3600)
    seen: list[Record] = []
    for page in world.crm.read_changes("Accounts", START - timedelta(days=1)):
        seen.extend(page.records)
        # half of each page gets its write-back before the next page is asked for
        fresh = [r for r in page.records if "partner of" not in str(r.get("Description"))]
        _write_back(world, "Accounts", fresh[::2])
    first_versions = [r.id for r in seen if "partner of" not in str(r.get("Description"))]
    assert sorted(first_versions) == sorted(ids)  # every record, as it was, exactly once
    assert len(first_versions) == len(set(first_versions))


def test_change_filter_sends_if_modified_since_and_gets_only_newer(
    recorder: tuple[CrmWorld, Recorder],
) -> None:
    world, rec = recorder
    old = world.state.create("Contacts", {"Last_Name": "Old"})["id"]
    world.clock.advance(60)
    mark = world.clock.now()
    new = world.state.create("Contacts", {"Last_Name": "New"})["id"]
    seen = [r.id for r in _all(world, "Contacts", since=mark)]
    assert seen == [new] and old not in seen
    sent = rec.to("GET", "/crm/v8/Contacts")[-1]
    assert sent.headers["if-modified-since"] == mark.isoformat(timespec="seconds")


def test_an_empty_feed_is_no_page(world: CrmWorld) -> None:
    assert list(world.crm.read_changes("Vendors", world.clock.now() + timedelta(days=1))) == []


def test_more_than_fifty_fields_are_read_in_groups_and_merged(
    recorder: tuple[CrmWorld, Recorder],
) -> None:
    world, rec = recorder
    for n in range(60):
        world.state.add_custom_field("Contacts", f"Extra_{n:02d}")
    values = {f"Extra_{n:02d}": f"v{n}" for n in range(60)}
    ids = [
        world.state.create("Contacts", {"Last_Name": f"Wide {i}", **values})["id"] for i in range(3)
    ]
    records = _all(world, "Contacts")
    assert [r.id for r in records] == ids
    for record in records:
        assert {k: record.fields[k] for k in values} == values
        assert record.fields["Last_Name"].startswith("Wide")
    sent = rec.to("GET", "/crm/v8/Contacts")
    assert all(len(str(s.param("fields")).split(",")) <= 50 for s in sent)
    # one listing page, and each further group read for that page's ids
    assert len(sent) == 2 and sent[1].param("ids") == ",".join(ids)


def test_only_the_fields_asked_for_are_requested(recorder: tuple[CrmWorld, Recorder]) -> None:
    world, rec = recorder
    world.state.create("Contacts", {"Last_Name": "Narrow", "Email": "n@x.test"})
    [record] = _all(world, "Contacts", fields=["Email"])
    assert record.fields["Email"] == "n@x.test" and "Last_Name" not in record.fields
    assert rec.to("GET", "/crm/v8/Contacts")[0].param("fields") == "Modified_Time,Email"


def test_get_many_asks_one_hundred_ids_per_call(recorder: tuple[CrmWorld, Recorder]) -> None:
    world, rec = recorder
    ids = world.state.bulk_insert("Accounts", [{"Account_Name": f"Id {i}"} for i in range(250)])
    got = world.crm.get_many("Accounts", [*ids, "6051205000099999999"])
    assert sorted(r.id for r in got) == sorted(ids)
    assert len(rec.to("GET", "/crm/v8/Accounts")) == 3


def test_deleted_records_come_as_tombstones_in_time_order(world: CrmWorld) -> None:
    first = world.state.create("Contacts", {"Last_Name": "Stays"})["id"]
    gone = world.state.create("Contacts", {"Last_Name": "Goes"})["id"]
    world.clock.advance(30)
    mark = world.clock.now()
    world.state.delete("Contacts", gone)
    world.clock.advance(30)
    world.state.edit("Contacts", first, {"Title": "Later"})
    records = _all(world, "Contacts", since=mark)
    assert [(r.id, r.deleted) for r in records] == [(gone, True), (first, False)]
    assert records[0].modified_at == mark.replace(microsecond=0)
    # a full read has nothing deleted to report
    assert all(not r.deleted for r in _all(world, "Contacts"))


def test_only_the_last_page_has_no_continuation(world: CrmWorld) -> None:
    world.state.bulk_insert("Accounts", [{"Account_Name": f"C {i}"} for i in range(450)])
    gone = world.state.create("Accounts", {"Account_Name": "Gone"})["id"]
    world.state.delete("Accounts", gone)
    pages = list(world.crm.read_changes("Accounts", START - timedelta(days=1)))
    assert [len(p.records) for p in pages] == [200, 200, 50, 1]
    assert [p.next_token is None for p in pages] == [False, False, False, True]
    assert pages[-1].records[0].deleted
