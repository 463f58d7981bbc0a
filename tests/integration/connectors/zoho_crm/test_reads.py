"""The change feed, id reads and tombstones of the Zoho CRM connector."""

from __future__ import annotations

from datetime import timedelta

from tests.contract.connectors.subjects.zoho_crm import START, CrmWorld
from tests.integration.connectors.zoho_crm.transports import Recorder


def _all(world: CrmWorld, module: str, since=None, fields=None):  # type: ignore[no-untyped-def]
    return [
        r for page in world.crm.read_changes(module, since, fields=fields) for r in page.records
    ]


def test_pages_to_the_end_with_the_largest_page_then_page_tokens(
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
    assert len(lists) == 13  # ceil(2450 / 200)
    assert all(s.param("per_page") == "200" for s in lists)
    assert all(s.param("sort_by") == "Modified_Time" for s in lists)
    assert all(s.param("sort_order") == "asc" for s in lists)
    assert [s.param("page") for s in lists[:10]] == [str(n) for n in range(1, 11)]
    # past 2,000 records only page_token reaches further
    assert all(s.param("page_token") and s.param("page") is None for s in lists[10:])


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
