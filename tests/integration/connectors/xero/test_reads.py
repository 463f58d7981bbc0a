"""The change feed and reads by id against the emulator."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from ledgerbridge.connectors.xero import XeroConnector
from ledgerbridge.connectors.xero import connector as xero_connector
from ledgerbridge.domain.records import Patch, Record
from tests.integration.connectors.xero.emulator import Xero


def _contacts(world: Xero, n: int, *, per_second: int = 100, prefix: str = "Feed") -> list[str]:
    ids = []
    for i in range(n):
        if i and i % per_second == 0:
            world.sleep(1)
        ids.append(str(world.state.add_contact(Name=f"{prefix} {i:05d}")["ContactID"]))
    return ids


def _list_requests(recorder_requests: list[httpx.Request], path: str) -> list[httpx.Request]:
    return [
        r for r in recorder_requests if r.method == "GET" and r.url.path == f"/api.xro/2.0/{path}"
    ]


def test_the_feed_pages_to_the_end_with_the_largest_page(world: Xero) -> None:
    recorder = world.recorder()
    conn = world.connector(http=world.client(recorder))
    ids = _contacts(world, 2500)
    pages = list(conn.read_changes("Contacts", None))
    records = [r for p in pages for r in p.records]
    assert [r.id for r in records] == ids  # each once, oldest first
    assert pages[-1].next_token is None and all(p.next_token for p in pages[:-1])
    gets = _list_requests(recorder.requests, "Contacts")
    assert len(gets) == 3
    for request in gets:
        assert request.url.params["pageSize"] == "1000"
        assert request.url.params["order"] == "UpdatedDateUTC ASC"
        assert request.url.params["includeArchived"] == "true"
        assert request.headers["accept"] == "application/json"
        assert request.headers["xero-tenant-id"] == world.state.tenant_id
    # After a full page the next one starts at the second of its last record.
    assert "if-modified-since" not in gets[0].headers
    assert gets[1].headers["if-modified-since"].endswith("Z")


def test_a_page_within_one_second_goes_on_by_page_number(world: Xero) -> None:
    recorder = world.recorder()
    conn = world.connector(http=world.client(recorder))
    ids = _contacts(world, 2003, per_second=10_000)
    records = [r for p in conn.read_changes("Contacts", None) for r in p.records]
    assert sorted(r.id for r in records) == sorted(ids)
    assert len(records) == len(ids)
    pages = [r.url.params["page"] for r in _list_requests(recorder.requests, "Contacts")]
    assert pages == ["1", "2", "3"]


def test_a_record_edited_while_the_feed_is_read_does_not_hide_another(world: Xero) -> None:
    conn = world.connector()
    ids = _contacts(world, 1100)
    feed = conn.read_changes("Contacts", None)
    first = next(feed)
    # A person edits a record of the first page: it moves to the end of the order.
    world.sleep(60)
    world.state.edit_contact(ids[10], EmailAddress="moved@example.com")
    rest = [r for p in feed for r in p.records]
    seen = [r.id for r in first.records] + [r.id for r in rest]
    assert set(seen) == set(ids)
    assert seen.count(ids[10]) == 2
    assert rest[-1].id == ids[10] and rest[-1].get("EmailAddress") == "moved@example.com"


def test_records_written_while_a_one_second_feed_is_read_hide_no_other(
    world: Xero, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Within one second the feed can only page on by number; a record written through the
    # connector (a write-back) leaves its place, and the pages behind it move up by one.
    # Pages of 100 instead of 1,000 keep the emulator's answer checks quick; the logic is
    # the same for any page size.
    monkeypatch.setattr(xero_connector, "PAGE_SIZE", 100)
    conn = world.connector()
    ids = _contacts(world, 330, per_second=10_000)
    world.sleep(60)
    seen: list[Record] = []
    for page in conn.read_changes("Contacts", None):
        seen.extend(page.records)
        fresh = [r for r in page.records if r.get("AccountNumber") is None]
        patches = [Patch(r.id, {"AccountNumber": f"W-{i}"}) for i, r in enumerate(fresh[::2])]
        assert all(res.ok for res in conn.update_many("Contacts", patches))
    first_versions = [r.id for r in seen if r.get("AccountNumber") is None]
    assert sorted(first_versions) == sorted(ids)  # every record, as it was, exactly once
    assert len(first_versions) == len(set(first_versions))


def test_the_change_filter_returns_records_at_or_after_since(world: Xero) -> None:
    recorder = world.recorder()
    conn = world.connector(http=world.client(recorder))
    old = world.state.add_contact(Name="Old")
    world.sleep(0.3)
    mark = world.state.add_contact(Name="Mark")
    world.sleep(5)
    new = world.state.add_contact(Name="New")
    since = next(r for r in _all(conn) if r.id == mark["ContactID"]).modified_at
    assert since.microsecond == 300_000
    got = _all(conn, since)
    assert [r.id for r in got] == [mark["ContactID"], new["ContactID"]]
    assert old["ContactID"] not in {r.id for r in got}
    sent = _list_requests(recorder.requests, "Contacts")[-1].headers["if-modified-since"]
    assert sent == since.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _all(conn: XeroConnector, since: object = None, module: str = "Contacts") -> list[Record]:
    return [r for p in conn.read_changes(module, since) for r in p.records]  # type: ignore[arg-type]


def test_archived_contacts_are_records_with_their_status(world: Xero) -> None:
    conn = world.connector()
    kept = world.state.add_contact(Name="Kept")
    gone = world.state.add_contact(Name="Gone Quiet")
    world.sleep(2)
    world.state.archive_contact(gone["ContactID"])
    records = {r.id: r for r in _all(conn)}
    assert records[gone["ContactID"]].get("ContactStatus") == "ARCHIVED"
    assert not records[gone["ContactID"]].deleted
    assert records[kept["ContactID"]].get("ContactStatus") == "ACTIVE"
    assert [r.id for r in conn.get_many("Contacts", [gone["ContactID"]])] == [gone["ContactID"]]
    assert [r.id for r in conn.find_many("Contacts", "Name", ["Gone Quiet"])] == [gone["ContactID"]]


def test_items_come_in_one_call_cut_into_pages(world: Xero) -> None:
    recorder = world.recorder()
    conn = world.connector(http=world.client(recorder))
    for i in range(1050):
        if i % 300 == 0:
            world.sleep(1)
        world.state.add_item(Code=f"SKU-{i:04d}", Name=f"Thing {i}")
    pages = list(conn.read_changes("Items", None))
    assert [len(p.records) for p in pages] == [1000, 50]
    times = [r.modified_at for p in pages for r in p.records]
    assert times == sorted(times)
    (request,) = _list_requests(recorder.requests, "Items")
    assert "page" not in request.url.params and "pageSize" not in request.url.params
    since = pages[1].records[0].modified_at
    later = _all(conn, since, "Items")
    assert {r.get("Code") for r in later} == {f"SKU-{i:04d}" for i in range(900, 1050)}


def test_documents_read_with_iso_dates_and_only_the_fields_asked_for(world: Xero) -> None:
    conn = world.connector()
    contact = world.state.add_contact(Name="Dated")
    invoice = world.state.add_invoice(
        Type="ACCREC",
        Contact={"ContactID": contact["ContactID"]},
        Date="2031-02-01",
        DueDate="2031-02-28",
        LineItems=[{"Description": "x", "Quantity": 2, "UnitAmount": 10, "AccountCode": "200"}],
    )
    (record,) = _all(conn, module="Invoices")
    assert record.id == invoice["InvoiceID"]
    assert record.get("Date") == "2031-02-01" and record.get("DueDate") == "2031-02-28"
    assert "DateString" not in record.fields
    assert record.get("UpdatedDateUTC") == record.modified_at.isoformat(timespec="milliseconds")
    assert record.modified_at.tzinfo is not None
    (slim,) = [
        r
        for p in conn.read_changes("Invoices", None, fields=["InvoiceNumber", "Contact.ContactID"])
        for r in p.records
    ]
    assert set(slim.fields) == {"InvoiceID", "InvoiceNumber", "Contact"}


def test_get_many_sends_ids_in_few_calls_and_skips_what_cannot_exist(world: Xero) -> None:
    recorder = world.recorder()
    conn = world.connector(http=world.client(recorder))
    ids = _contacts(world, 45)
    got = conn.get_many("Contacts", [*reversed(ids), "not-a-guid", ids[0]])
    assert [r.id for r in got] == list(reversed(ids))
    gets = _list_requests(recorder.requests, "Contacts")
    assert len(gets) == 2
    assert all("IDs" in r.url.params for r in gets)
    before = len(recorder.requests)
    assert conn.get_many("Contacts", ["999", ""]) == []
    assert len(recorder.requests) == before


def test_get_many_for_items_purchase_orders_and_tax_rates(world: Xero) -> None:
    recorder = world.recorder()
    conn = world.connector(http=world.client(recorder))
    items = [world.state.add_item(Code=f"I-{i}")["ItemID"] for i in range(3)]
    assert {r.id for r in conn.get_many("Items", items)} == set(items)
    assert "ItemID==Guid(" in _list_requests(recorder.requests, "Items")[-1].url.params["where"]
    vendor = world.state.add_contact(Name="Vendor")
    orders = [
        world.state.add_purchase_order(
            Contact={"ContactID": vendor["ContactID"]},
            LineItems=[{"Description": "Parts", "Quantity": 1, "UnitAmount": 9}],
        )["PurchaseOrderID"]
        for _ in range(12)
    ]
    before = len(recorder.requests)
    assert [r.id for r in conn.get_many("PurchaseOrders", orders[:3])] == orders[:3]
    assert len(recorder.requests) - before == 3  # one read each
    before = len(recorder.requests)
    assert [r.id for r in conn.get_many("PurchaseOrders", orders)] == orders
    assert len(recorder.requests) - before == 1  # one listing instead of twelve reads
    rates = conn.get_many("TaxRates", ["OUTPUT", "NONE", "NOPE"])
    assert [r.id for r in rates] == ["OUTPUT", "NONE"]


def test_settings_lists_read_as_modules(world: Xero) -> None:
    conn = world.connector()
    world.sleep(timedelta(minutes=1).total_seconds())
    accounts = _all(conn, module="Accounts")
    assert {r.get("Code") for r in accounts} >= {"200", "090"}
    rates = _all(conn, module="TaxRates")
    assert {r.id for r in rates} >= {"OUTPUT", "INPUT"}
    assert all(r.modified_at.tzinfo is not None for r in rates)
    themes = _all(conn, module="BrandingThemes")
    assert len(themes) == 2
