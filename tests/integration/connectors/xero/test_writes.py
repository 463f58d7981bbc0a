"""Batch writes: per-record results from mixed answers, idempotent batches."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Draft, Patch
from ledgerbridge.sandbox.core.transport import InProcessTransport
from tests.integration.connectors.xero.emulator import Xero

LINE = {"Description": "Consulting", "Quantity": 2, "UnitAmount": 50, "AccountCode": "200"}


def _writes(requests: list[httpx.Request], method: str, path: str) -> list[httpx.Request]:
    return [r for r in requests if r.method == method and r.url.path == f"/api.xro/2.0/{path}"]


def test_a_mixed_batch_answers_each_record_in_order(world: Xero) -> None:
    conn = world.connector()
    taken = world.state.add_contact(Name="Taken Name Ltd")
    drafts = [
        Draft("ok-1", {"Name": "Fresh One", "EmailAddress": "one@example.com"}),
        Draft("dup", {"Name": "taken name ltd"}),
        Draft("no-name", {"EmailAddress": "nameless@example.com"}),
        Draft("bad-mail", {"Name": "Bad Mail", "EmailAddress": "not an address"}),
        Draft("ok-2", {"Name": "Fresh Two", "ContactPersons": [{"FirstName": "Ana"}]}),
    ]
    results = conn.create_many("Contacts", drafts)
    assert [r.ref for r in results] == [d.ref for d in drafts]
    assert [r.ok for r in results] == [True, False, False, False, True]
    dup, missing, bad = (results[1].error, results[2].error, results[3].error)
    assert dup is not None and dup.code == "duplicate" and dup.field == "Name"
    assert dup.duplicate_id == taken["ContactID"]
    assert "already assigned to another contact" in dup.message
    assert missing is not None and missing.code == "mandatory_missing" and missing.field == "Name"
    assert missing.message == "The contact name must be specified."
    assert bad is not None and bad.code == "invalid" and bad.field == "EmailAddress"
    made = results[0].record
    assert made is not None and made.get("Name") == "Fresh One" and made.modified_at.tzinfo
    assert results[4].record is not None
    assert results[4].record.get("ContactPersons")[0]["FirstName"] == "Ana"
    assert world.state.count("contacts") == 3


def test_creates_go_in_batches_of_fifty_without_summarised_errors(world: Xero) -> None:
    recorder = world.recorder()
    conn = world.connector(http=world.client(recorder))
    drafts = [Draft(f"r{i}", {"Name": f"Batch {i}"}, f"key-{i}") for i in range(120)]
    results = conn.create_many("Contacts", drafts)
    assert all(r.ok for r in results) and len({r.id for r in results}) == 120
    puts = _writes(recorder.requests, "PUT", "Contacts")
    assert [len(json.loads(r.content)["Contacts"]) for r in puts] == [50, 50, 20]
    assert all(r.url.params["summarizeErrors"] == "false" for r in puts)
    keys = [r.headers["idempotency-key"] for r in puts]
    assert len(set(keys)) == 3 and all(0 < len(k) <= 128 for k in keys)


def test_a_repeated_batch_is_replayed_not_created_twice(world: Xero) -> None:
    recorder = world.recorder()
    conn = world.connector(http=world.client(recorder))
    drafts = [Draft(f"r{i}", {"Name": f"Once {i}"}, f"lb-1-flow-crm-{i}-abc") for i in range(3)]
    first = conn.create_many("Contacts", drafts)
    world.sleep(60)
    again = conn.create_many("Contacts", drafts)
    assert [r.id for r in again] == [r.id for r in first]
    assert all(r.ok for r in again)
    assert world.state.count("contacts") == 3
    keys = {r.headers["idempotency-key"] for r in _writes(recorder.requests, "PUT", "Contacts")}
    assert len(keys) == 1


def test_batches_without_caller_keys_still_carry_a_fresh_key(world: Xero) -> None:
    recorder = world.recorder()
    conn = world.connector(http=world.client(recorder))
    conn.create_many("Items", [Draft("a", {"Code": "K-1"})])
    conn.create_many("Items", [Draft("b", {"Code": "K-2"})])
    keys = [r.headers["idempotency-key"] for r in _writes(recorder.requests, "PUT", "Items")]
    assert len(keys) == 2 and keys[0] != keys[1]


def test_a_key_reused_with_other_content_fails_the_batch_with_xeros_words(world: Xero) -> None:
    conn = world.connector()
    keys = ("key-a", "key-b")
    conn.create_many("Contacts", [Draft(k, {"Name": f"First {k}"}, k) for k in keys])
    results = conn.create_many("Contacts", [Draft(k, {"Name": f"Second {k}"}, k) for k in keys])
    assert [r.ref for r in results] == list(keys)
    for result in results:
        assert not result.ok and result.error is not None
        assert result.error.code == "other"
        assert "Idempotency-Key" in result.error.message
    assert world.state.count("contacts") == 2


def test_updates_change_only_given_fields_and_report_each_failure(world: Xero) -> None:
    recorder = world.recorder()
    conn = world.connector(http=world.client(recorder))
    a = world.state.add_contact(Name="Alpha", EmailAddress="a@example.com", FirstName="Al")
    b = world.state.add_contact(Name="Beta")
    world.sleep(5)
    patches = [
        Patch(a["ContactID"], {"EmailAddress": "alpha@example.com"}),
        Patch(str(uuid.uuid4()), {"EmailAddress": "ghost@example.com"}),
        Patch("not-an-id", {"EmailAddress": "x@example.com"}),
        Patch(b["ContactID"], {"Name": "alpha"}),
    ]
    results = conn.update_many("Contacts", patches)
    assert [r.ok for r in results] == [True, False, False, False]
    assert [r.ref for r in results] == [p.id for p in patches]
    assert results[1].error is not None and results[1].error.code == "not_found"
    assert results[1].error.message == "Contact could not be found"
    assert results[2].error is not None and results[2].error.code == "not_found"
    assert results[3].error is not None and results[3].error.code == "duplicate"
    assert results[3].error.duplicate_id == a["ContactID"]
    alpha = world.state.get("contacts", a["ContactID"])
    assert alpha is not None
    assert alpha["EmailAddress"] == "alpha@example.com" and alpha["FirstName"] == "Al"
    (post,) = _writes(recorder.requests, "POST", "Contacts")
    sent = json.loads(post.content)["Contacts"]
    assert [e["ContactID"] for e in sent] == [patches[0].id, patches[1].id, patches[3].id]


def test_item_codes_are_unique_and_required(world: Xero) -> None:
    conn = world.connector()
    existing = world.state.add_item(Code="WIDGET")
    results = conn.create_many(
        "Items",
        [
            Draft("dup", {"Code": "WIDGET", "Name": "Again"}),
            Draft("blank", {"Code": "  ", "Name": "No Code"}),
            Draft("ok", {"Code": "GADGET", "SalesDetails": {"UnitPrice": 12.5}}),
        ],
    )
    assert [r.ok for r in results] == [False, False, True]
    assert results[0].error is not None and results[0].error.code == "duplicate"
    assert results[0].error.duplicate_id == existing["ItemID"]
    assert results[0].error.field == "Code"
    assert results[1].error is not None and results[1].error.code == "mandatory_missing"
    assert results[2].record is not None
    assert results[2].record.get("SalesDetails")["UnitPrice"] == 12.5


def test_invoices_and_purchase_orders(world: Xero) -> None:
    # The duplicate purchase order is named by reading /PurchaseOrders/{PurchaseOrderNumber},
    # which the spec checker takes for /PurchaseOrders/{PurchaseOrderID}: talk directly.
    plain = httpx.Client(transport=InProcessTransport(world.app), timeout=30.0)
    world.clients.append(plain)
    conn = world.connector(http=plain)
    buyer = world.state.add_contact(Name="Buyer")
    ref = {"ContactID": buyer["ContactID"]}
    made = conn.create_many(
        "Invoices",
        [
            Draft(
                "good",
                {"Type": "ACCREC", "Contact": ref, "InvoiceNumber": "INV-100", "LineItems": [LINE]},
            ),
            Draft("again", {"Type": "ACCREC", "Contact": ref, "InvoiceNumber": "INV-100"}),
            Draft("nobody", {"Type": "ACCREC", "LineItems": [LINE]}),
            Draft(
                "stranger",
                {
                    "Type": "ACCREC",
                    "Contact": {"ContactID": str(uuid.uuid4())},
                    "LineItems": [LINE],
                },
            ),
        ],
    )
    assert [r.ok for r in made] == [True, False, False, False]
    good = made[0].record
    assert good is not None and good.get("Total") == 115.0 and good.get("Status") == "DRAFT"
    assert made[1].error is not None and made[1].error.code == "duplicate"
    assert made[1].error.duplicate_id == made[0].id
    assert made[2].error is not None and made[2].error.code == "mandatory_missing"
    assert made[2].error.field == "Contact"
    # A create naming a contact that does not exist is a bad value, not a missing target.
    assert made[3].error is not None and made[3].error.code == "invalid"

    invoice_id = str(made[0].id)
    (approved,) = conn.update_many("Invoices", [Patch(invoice_id, {"Status": "AUTHORISED"})])
    assert approved.ok
    world.state.add_payment(invoice_id, 115.0)
    (locked,) = conn.update_many("Invoices", [Patch(invoice_id, {"Reference": "late change"})])
    assert locked.error is not None and locked.error.code == "conflict"

    orders = conn.create_many(
        "PurchaseOrders",
        [
            Draft("po", {"Contact": ref, "PurchaseOrderNumber": "PO-1", "LineItems": [LINE]}),
            Draft("po-dup", {"Contact": ref, "PurchaseOrderNumber": "PO-1", "LineItems": [LINE]}),
        ],
    )
    assert orders[0].ok and orders[1].error is not None
    assert orders[1].error.code == "duplicate" and orders[1].error.duplicate_id == orders[0].id


def test_read_only_modules_refuse_writes_before_any_call(world: Xero) -> None:
    conn = world.connector()
    before = world.ledger.total("xero")
    with pytest.raises(ConfigError, match="read-only"):
        conn.create_many("TaxRates", [Draft("t", {"Name": "Mine"})])
    with pytest.raises(ConfigError, match="no module"):
        conn.update_many("Payments", [])
    assert world.ledger.total("xero") == before


def test_empty_fields_are_never_sent_as_null(world: Xero) -> None:
    # Xero's spec has no nullable fields: an empty CRM field is left out of a create, and an
    # update that empties a field clears it with "". The spec-checking transport would refuse
    # a null.
    conn = world.connector()
    (made,) = conn.create_many(
        "Contacts",
        [Draft("c", {"Name": "Nulls Ltd", "AccountNumber": None, "EmailAddress": "n@x.com"})],
    )
    assert made.ok and made.id is not None, made.error
    (cleared,) = conn.update_many("Contacts", [Patch(made.id, {"EmailAddress": None})])
    assert cleared.ok, cleared.error
    (stored,) = conn.get_many("Contacts", [made.id])
    assert not stored.fields.get("EmailAddress")
    assert stored.fields["Name"] == "Nulls Ltd"
