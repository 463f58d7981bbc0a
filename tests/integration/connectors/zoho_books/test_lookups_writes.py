"""Lookups by filter or by one read of the module; one-record writes and their errors."""

from __future__ import annotations

import httpx
import pytest

from ledgerbridge.domain.records import Draft, Patch
from tests.contract.connectors.subjects.zoho_books import BooksWorld, books_world
from tests.integration.connectors.zoho_books.conftest import customer, item
from tests.integration.connectors.zoho_crm.transports import (
    AnswerLoser,
    Recorder,
    RefuseBefore,
    first_n,
)

AWKWARD = [
    "O'Brien & Sons",
    'The "Quoted" Company',
    "Smith (UK), Ltd",
    "Back\\slash Trading",
    "50% + more & co",
    "株式会社テスト",
    "Комета ООО",
]


@pytest.mark.parametrize("name", AWKWARD)
def test_one_value_is_one_filtered_call(recorder: tuple[BooksWorld, Recorder], name: str) -> None:
    world, rec = recorder
    wanted = customer(world, name)
    customer(world, name + " Other")
    found = world.books.find_many("contacts", "contact_name", [name.upper()])
    assert [r.id for r in found] == [wanted]  # Zoho Books ignores case
    [sent] = rec.sent
    assert sent.param("contact_name") == name.upper()


def test_many_values_read_the_module_once(recorder: tuple[BooksWorld, Recorder]) -> None:
    world, rec = recorder
    ids = {customer(world, n) for n in AWKWARD}
    for i in range(50):
        customer(world, f"Filler {i}")
    found = world.books.find_many("contacts", "contact_name", [*AWKWARD, "Nobody"])
    assert {r.id for r in found} == ids
    assert len(rec.sent) == 1


def test_a_large_module_falls_back_to_one_call_per_value(world: BooksWorld) -> None:
    wanted = [customer(world, f"Big {i:04d}") for i in range(5)]
    for i in range(1200):
        customer(world, f"Filler {i:04d}")
    before = world.calls()
    found = world.books.find_many("contacts", "contact_name", [f"Big {i:04d}" for i in range(5)])
    assert sorted(r.id for r in found) == sorted(wanted)
    # five pages read (as many as the values), then five filtered calls: never over twice
    assert world.calls() - before == 10


def test_a_field_without_a_filter_is_matched_on_one_read(world: BooksWorld) -> None:
    a = customer(world, "Web One", website="https://one.example")
    customer(world, "Web Two", website="https://two.example")
    assert [
        r.id for r in world.books.find_many("contacts", "website", ["https://one.example"])
    ] == [a]


def test_invoices_found_by_number_carry_their_lines(world: BooksWorld) -> None:
    cid, iid = customer(world, "Buyer"), item(world, "Bolt")
    world.state.create_invoice(
        world.org_id,
        {"customer_id": cid, "invoice_number": "INV-9", "line_items": [{"item_id": iid}]},
    )
    [found] = world.books.find_many("invoices", "invoice_number", ["INV-9"])
    assert found.fields["line_items"][0]["item_id"] == iid


def test_creates_give_each_record_its_result_with_zohos_message(world: BooksWorld) -> None:
    taken = customer(world, "Taken Ltd")
    results = world.books.create_many(
        "contacts",
        [
            Draft("ok", {"contact_name": "Fresh Ltd", "email": "f@x.test"}),
            Draft("no-name", {"company_name": "Nameless"}),
            Draft("dup", {"contact_name": "taken ltd"}),
            Draft("bad", {"contact_name": "Bad Type", "contact_type": "alien"}),
        ],
    )
    assert [r.ok for r in results] == [True, False, False, False]
    ok = results[0]
    assert ok.record is not None and ok.record.fields["email"] == "f@x.test" and ok.id
    errors = {r.ref: r.error for r in results if r.error}
    assert errors["no-name"].code == "mandatory_missing"
    assert errors["no-name"].message == "Please enter the contact name."
    assert (errors["dup"].code, errors["dup"].duplicate_id) == ("duplicate", taken)
    assert "already exists" in errors["dup"].message
    assert (errors["bad"].code, errors["bad"].field) == ("invalid", "contact_type")


def test_updates_report_missing_records_as_not_found(world: BooksWorld) -> None:
    rid = customer(world, "Before")
    results = world.books.update_many(
        "contacts",
        [Patch(rid, {"company_name": "After Co"}), Patch("460000099999999", {"notes": "x"})],
    )
    assert results[0].ok and results[0].record is not None
    assert results[0].record.fields["company_name"] == "After Co"
    assert results[1].error is not None and results[1].error.code == "not_found"


def _losing(method: str, path: str) -> tuple[list[httpx.BaseTransport], object]:
    layers: list[httpx.BaseTransport] = []

    def wrap(inner: httpx.BaseTransport) -> httpx.BaseTransport:
        loser = AnswerLoser(inner, first_n(method, path, 1))
        rec = Recorder(loser)
        layers.extend([loser, rec])
        return rec

    return layers, wrap


def test_a_lost_contact_create_is_found_by_its_name_not_repeated() -> None:
    layers, wrap = _losing("POST", "/books/v3/contacts")
    with books_world(wrap=wrap) as world:  # type: ignore[arg-type]
        [result] = world.books.create_many("contacts", [Draft("c", {"contact_name": "Lost Co"})])
        loser, rec = layers
        assert isinstance(loser, AnswerLoser) and isinstance(rec, Recorder)
        assert loser.lost == 1 and result.ok
        assert len(rec.to("POST", "/books/v3/contacts")) == 1
        assert world.state.count(world.org_id, "contacts") == 1


def test_a_lost_numberless_invoice_is_found_among_the_customers_new_invoices() -> None:
    layers, wrap = _losing("POST", "/books/v3/invoices")
    with books_world(wrap=wrap) as world:  # type: ignore[arg-type]
        cid, iid = customer(world, "Buyer"), item(world, "Nut")
        world.state.create_invoice(
            world.org_id, {"customer_id": cid, "line_items": [{"item_id": iid}]}
        )
        world.clock.advance(600)
        draft = Draft("i", {"customer_id": cid, "line_items": [{"item_id": iid, "quantity": 2}]})
        [result] = world.books.create_many("invoices", [draft])
        loser, rec = layers
        assert isinstance(loser, AnswerLoser) and isinstance(rec, Recorder)
        assert loser.lost == 1 and len(rec.to("POST", "/books/v3/invoices")) == 1
        assert result.ok and world.state.count(world.org_id, "invoices") == 2
        assert (
            world.state.get(world.org_id, "invoices", str(result.id))["line_items"][0]["quantity"]
            == 2
        )


def test_a_create_refused_before_processing_is_looked_up_then_sent_again() -> None:
    recs: list[Recorder] = []

    def wrap(inner: httpx.BaseTransport) -> httpx.BaseTransport:
        recs.append(Recorder(RefuseBefore(inner, first_n("POST", "/books/v3/items", 1))))
        return recs[0]

    with books_world(wrap=wrap) as world:
        [result] = world.books.create_many("items", [Draft("i", {"name": "Gear", "sku": "G-1"})])
        assert result.ok
        sent = [(s.method, s.param("sku")) for s in recs[0].sent]
        assert sent == [("POST", None), ("GET", "G-1"), ("POST", None)]
        assert world.state.count(world.org_id, "items") == 1


def test_a_lost_create_of_a_name_already_taken_is_a_duplicate() -> None:
    layers, wrap = _losing("POST", "/books/v3/contacts")
    with books_world(wrap=wrap) as world:  # type: ignore[arg-type]
        older = customer(world, "Held Co")
        world.clock.advance(3600)
        [result] = world.books.create_many("contacts", [Draft("c", {"contact_name": "Held Co"})])
        assert not result.ok and result.error is not None
        assert (result.error.code, result.error.duplicate_id) == ("duplicate", older)
        assert world.state.count(world.org_id, "contacts") == 1
        assert isinstance(layers[0], AnswerLoser) and layers[0].lost == 1
