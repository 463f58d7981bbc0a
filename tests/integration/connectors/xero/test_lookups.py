"""Bulk lookups: escaped literals, few calls, URLs of a safe length."""

from __future__ import annotations

from urllib.parse import quote_plus

import httpx
import pytest

from ledgerbridge.connectors.xero import XeroConnector
from ledgerbridge.connectors.xero.where import WHERE_BUDGET, pack, string_literal, term
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.sandbox.core.transport import InProcessTransport
from tests.integration.connectors.xero.emulator import Xero

AWKWARD = [
    'The "Quoted" Co',
    "O'Brien & Sons",
    "Acme (NZ) Ltd",
    "Smith, Jones, and Partners",
    "Back\\slash Ltd",
    'Ends with a quote"',
    "Ünïcödé Gesellschaft mbH",
    "株式会社テスト",
    "Компания Ромашка",
    "شركة الاختبار",
    "Coffee ☕ House",
    "a || b == c",
    "100% Pure + Simple",
]


def _wheres(requests: list[httpx.Request], path: str) -> list[str]:
    return [
        r.url.params["where"]
        for r in requests
        if r.url.path == f"/api.xro/2.0/{path}" and "where" in r.url.params
    ]


def test_string_literals_double_their_quotes_and_leave_backslashes_alone() -> None:
    assert string_literal('The "Quoted" Co') == '"The ""Quoted"" Co"'
    assert string_literal("Back\\slash") == '"Back\\slash"'
    assert term("EmailAddress", "a@b.c") == 'EmailAddress=="a@b.c"'
    assert term("Contact.ContactID", "not-a-guid") is None
    with pytest.raises(ValueError, match="field"):
        term("Name) || (1==1", "x")


def test_packing_keeps_each_filter_within_the_budget() -> None:
    terms = [f'Name=="{"名" * 60}{i}"' for i in range(30)]
    groups = list(pack(terms, max_terms=40))
    assert sum(len(g) for g in groups) == 30
    assert all(len(quote_plus("||".join(g), safe="")) <= WHERE_BUDGET for g in groups)
    huge = 'Name=="' + "x" * 3000 + '"'
    assert list(pack([huge, "a", "b"], max_terms=40)) == [[huge], ["a", "b"]]
    assert [len(g) for g in pack([f"t{i}" for i in range(100)], max_terms=40)] == [40, 40, 20]


def test_awkward_names_are_found_in_one_call(world: Xero) -> None:
    recorder = world.recorder()
    conn = world.connector(http=world.client(recorder))
    ids = {world.state.add_contact(Name=name)["ContactID"]: name for name in AWKWARD}
    world.state.add_contact(Name="The Quoted Co")  # must not match the quoted one
    found = conn.find_many("Contacts", "Name", [*AWKWARD, "Nobody At All"])
    assert {r.id: r.get("Name") for r in found} == ids
    (where,) = _wheres(recorder.requests, "Contacts")
    assert '"The ""Quoted"" Co"' in where and "||" in where


def test_many_keys_go_in_lookup_batches(world: Xero) -> None:
    recorder = world.recorder()
    conn = world.connector(http=world.client(recorder))
    emails = [f"buyer{i}@example.com" for i in range(100)]
    for i, email in enumerate(emails):
        world.state.add_contact(Name=f"Buyer {i}", EmailAddress=email)
    found = conn.find_many("Contacts", "EmailAddress", [e.upper() for e in emails])
    assert len(found) == 100  # Xero compares text ignoring case
    wheres = _wheres(recorder.requests, "Contacts")
    # At most lookup_batch keys per call, fewer when the filter would grow too long.
    counts = [w.count("EmailAddress==") for w in wheres]
    assert sum(counts) == 100 and len(counts) == 3
    assert all(n <= conn.capabilities.lookup_batch for n in counts)
    assert all(len(quote_plus(w, safe="")) <= WHERE_BUDGET for w in wheres)


def test_long_keys_split_to_keep_the_url_short(world: Xero) -> None:
    recorder = world.recorder()
    conn = world.connector(http=world.client(recorder))
    names = [f"{'東京都' * 30} 支店 {i}" for i in range(12)]
    for name in names:
        world.state.add_contact(Name=name)
    assert len(conn.find_many("Contacts", "Name", names)) == 12
    wheres = _wheres(recorder.requests, "Contacts")
    assert len(wheres) > 1
    assert all(len(quote_plus(w, safe="")) <= WHERE_BUDGET for w in wheres)
    assert all(
        len(str(r.url)) < 2048 for r in recorder.requests if r.url.path.endswith("/Contacts")
    )


def test_lookups_by_code_number_and_id(world: Xero) -> None:
    conn = world.connector()
    items = {world.state.add_item(Code=c)["ItemID"] for c in ("A-1", 'Q"1', "P(2)", "C,3")}
    assert {r.id for r in conn.find_many("Items", "Code", ["A-1", 'Q"1', "P(2)", "C,3", "Z"])} == (
        items
    )
    buyer = world.state.add_contact(Name="Buyer")
    invoice = world.state.add_invoice(
        Type="ACCREC",
        Contact={"ContactID": buyer["ContactID"]},
        InvoiceNumber="INV-'7'",
        LineItems=[{"Description": "x", "Quantity": 1, "UnitAmount": 1, "AccountCode": "200"}],
    )
    (found,) = conn.find_many("Invoices", "InvoiceNumber", ["INV-'7'"])
    assert found.id == invoice["InvoiceID"]
    (by_contact,) = conn.find_many("Invoices", "Contact.ContactID", [buyer["ContactID"]])
    assert by_contact.id == invoice["InvoiceID"]
    assert [r.id for r in conn.find_many("Contacts", "ContactID", [buyer["ContactID"]])] == [
        buyer["ContactID"]
    ]


def test_purchase_orders_are_found_by_number_without_a_where(world: Xero) -> None:
    # GET /PurchaseOrders takes no where: a few numbers are read one by one at
    # /PurchaseOrders/{PurchaseOrderNumber}, a path the spec checker confuses with
    # /PurchaseOrders/{PurchaseOrderID}, so this test talks to the emulator directly.
    plain = httpx.Client(transport=InProcessTransport(world.app), timeout=30.0)
    world.clients.append(plain)
    conn: XeroConnector = world.connector(http=plain)
    vendor = world.state.add_contact(Name="Vendor")
    numbers = [f"PO-{i}" for i in range(14)] + ["PO/14"]
    ids = {
        world.state.add_purchase_order(
            Contact={"ContactID": vendor["ContactID"]},
            PurchaseOrderNumber=number,
            LineItems=[{"Description": "Parts", "Quantity": 1, "UnitAmount": 9}],
        )["PurchaseOrderID"]: number
        for number in numbers
    }
    before = world.ledger.total("xero")
    few = conn.find_many("PurchaseOrders", "PurchaseOrderNumber", [*numbers[:2], "po-404"])
    assert {r.get("PurchaseOrderNumber") for r in few} == set(numbers[:2])
    assert world.ledger.total("xero") - before == 3
    before = world.ledger.total("xero")
    many = conn.find_many("PurchaseOrders", "PurchaseOrderNumber", [n.lower() for n in numbers])
    assert {r.id: r.get("PurchaseOrderNumber") for r in many} == ids
    assert world.ledger.total("xero") - before == 1
    # A number a URL path cannot carry safely is looked for in the listing instead.
    before = world.ledger.total("xero")
    (slashed,) = conn.find_many("PurchaseOrders", "PurchaseOrderNumber", ["PO/14"])
    assert slashed.get("PurchaseOrderNumber") == "PO/14"
    assert world.ledger.total("xero") - before == 1


def test_an_unknown_field_is_a_config_error(world: Xero) -> None:
    conn = world.connector()
    with pytest.raises(ConfigError, match="Nickname"):
        conn.find_many("Contacts", "Nickname", ["x"])
