"""The Zoho Books change feed, detail reads and reads by id."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ledgerbridge.domain.records import Page, Patch, Record
from tests.contract.connectors.subjects.zoho_books import BooksWorld
from tests.integration.connectors.zoho_books.conftest import customer, item
from tests.integration.connectors.zoho_crm.transports import Recorder


def _all(pages: Iterator[Page]) -> list[Record]:
    return [r for page in pages for r in page.records]


def _spread(world: BooksWorld, count: int, prefix: str = "Feed") -> list[str]:
    ids = []
    for i in range(count):
        ids.append(customer(world, f"{prefix} {i:04d}"))
        world.clock.advance(1)
    return ids


def test_pages_to_the_end_two_hundred_at_a_time_oldest_first(
    recorder: tuple[BooksWorld, Recorder],
) -> None:
    world, rec = recorder
    ids = _spread(world, 450)
    records = _all(world.books.read_changes("contacts", None))
    assert [r.id for r in records] == ids
    assert [r.modified_at for r in records] == sorted(r.modified_at for r in records)
    lists = rec.to("GET", "/books/v3/contacts")
    assert len(lists) == 3
    assert all(s.param("per_page") == "200" for s in lists)
    assert all(s.param("sort_column") == "last_modified_time" for s in lists)
    assert all(s.param("sort_order") == "A" for s in lists)


def test_the_change_filter_is_written_without_a_colon_in_the_offset(
    recorder: tuple[BooksWorld, Recorder],
) -> None:
    world, rec = recorder
    old = customer(world, "Old")
    world.clock.advance(60)
    mark = world.clock.now()
    new = customer(world, "New")
    assert [r.id for r in _all(world.books.read_changes("contacts", mark))] == [new]
    assert old != new
    sent = rec.to("GET", "/books/v3/contacts")[-1]
    assert sent.param("last_modified_time") == mark.strftime("%Y-%m-%dT%H:%M:%S+0000")
    assert "%2B0000" in str(sent.url)


def test_a_record_changed_mid_read_skips_no_other_record(world: BooksWorld) -> None:
    ids = _spread(world, 430)
    pages = world.books.read_changes("contacts", None)
    first = next(pages)
    # a record of the first page changes: with page numbers the rest would shift by one
    world.state.update_contact(world.org_id, ids[5], {"company_name": "Moved"})
    rest = _all(pages)
    seen = [r.id for r in first.records] + [r.id for r in rest]
    assert set(seen) == set(ids)
    assert seen.count(ids[5]) == 2  # once as it was, once changed


def test_more_than_a_page_inside_one_second_is_still_all_read(world: BooksWorld) -> None:
    ids = [customer(world, f"Same Second {i}") for i in range(450)]
    records = _all(world.books.read_changes("contacts", None))
    assert sorted(r.id for r in records) == sorted(ids)
    assert len(records) == 450


def test_records_written_while_one_second_is_read_hide_no_other(world: BooksWorld) -> None:
    # Inside one second the feed pages on by number; a record written through the connector
    # (a write-back) leaves its place, and the records behind it move up by one.
    ids = [customer(world, f"Burst {i}") for i in range(450)]
    world.clock.advance(60)
    seen: list[Record] = []
    for page in world.books.read_changes("contacts", None):
        seen.extend(page.records)
        fresh = [r for r in page.records if not r.get("website")]
        patches = [Patch(r.id, {"website": f"https://w{i}.example"}) for i, r in enumerate(fresh)]
        assert all(res.ok for res in world.books.update_many("contacts", patches[::2]))
    first_versions = [r.id for r in seen if not r.get("website")]
    assert sorted(first_versions) == sorted(ids)  # every record, as it was, exactly once
    assert len(first_versions) == len(set(first_versions))


def test_invoices_come_with_their_lines(recorder: tuple[BooksWorld, Recorder]) -> None:
    world, rec = recorder
    cid = customer(world, "Buyer")
    iid = item(world, "Widget", 12.5)
    for n in range(3):
        world.state.create_invoice(
            world.org_id,
            {"customer_id": cid, "line_items": [{"item_id": iid, "quantity": n + 1}]},
        )
    records = _all(world.books.read_changes("invoices", None))
    assert [r.fields["line_items"][0]["quantity"] for r in records] == [1, 2, 3]
    assert [r.fields["total"] for r in records] == [12.5, 25.0, 37.5]
    assert len(rec.to("GET", "/books/v3/invoices")) == 1
    # contacts stay list-only unless a field only the record has is asked for
    _all(world.books.read_changes("contacts", None))
    assert rec.to("GET", f"/books/v3/contacts/{cid}") == []
    [buyer] = _all(world.books.read_changes("contacts", None, fields=["contact_persons"]))
    assert "contact_persons" in buyer.fields


def test_get_many_reads_each_id_or_the_list_when_that_is_cheaper(
    recorder: tuple[BooksWorld, Recorder],
) -> None:
    world, rec = recorder
    ids = [customer(world, f"Get {i}") for i in range(30)]
    assert [r.id for r in world.books.get_many("contacts", ids[:2])] == ids[:2]
    assert len(rec.sent) == 2
    before = len(rec.sent)
    got = world.books.get_many("contacts", [*ids[5:25], "460000099999999"])
    assert [r.id for r in got] == ids[5:25]
    assert len(rec.sent) - before == 1  # one list page instead of 21 reads
    assert isinstance(got[0].modified_at, datetime)
