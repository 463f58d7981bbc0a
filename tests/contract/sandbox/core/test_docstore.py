"""The SQLite document store: CRUD, indexed reads, paging at 100,000 documents."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledgerbridge.sandbox.core.docstore import DocStore, DuplicateIdError

T0 = datetime(2030, 1, 1, tzinfo=UTC)


def test_insert_get_replace_delete() -> None:
    contacts = DocStore().collection("contacts", ["Name", "Contact.ContactID"])
    contacts.insert("a", {"Name": "Acme", "Contact": {"ContactID": "x"}}, T0)
    with pytest.raises(DuplicateIdError):
        contacts.insert("a", {"Name": "Again"}, T0)
    assert contacts.get("a") == {"Name": "Acme", "Contact": {"ContactID": "x"}}
    assert contacts.find({"Contact.ContactID": "x"})[0]["Name"] == "Acme"
    assert contacts.replace("a", {"Name": "Acme Ltd"}, T0 + timedelta(seconds=1))
    row = contacts.get_row("a")
    assert row is not None
    assert row.modified == T0 + timedelta(seconds=1)
    # None keeps the modified time: changes that must not bump it
    assert contacts.replace("a", {"Name": "Acme Ltd", "IsCustomer": True}, None)
    row = contacts.get_row("a")
    assert row is not None
    assert row.modified == T0 + timedelta(seconds=1)
    assert not contacts.replace("missing", {}, T0)
    assert contacts.delete("a")
    assert contacts.get("a") is None


def test_find_order_modified_since_and_case_insensitive_lookup() -> None:
    items = DocStore().collection("items", ["Code", "Status"])
    for n in range(10):
        items.insert(f"id{n}", {"Code": f"Code-{n}", "Status": "ACTIVE" if n % 2 else "X"}, T0)
    items.replace("id3", {"Code": "Code-3", "Status": "ACTIVE"}, T0 + timedelta(seconds=5))
    assert [d["Code"] for d in items.find(modified_since=T0 + timedelta(seconds=5))] == ["Code-3"]
    assert len(items.find(modified_since=T0)) == 10
    assert items.find(order_by="Code DESC", limit=2)[0]["Code"] == "Code-9"
    assert [d["Code"] for d in items.find(order_by="modified", offset=8)] == ["Code-9", "Code-3"]
    assert items.count({"Status": "ACTIVE"}) == 5
    assert {d["Code"] for d in items.find_by("Code", ["code-1", "CODE-2", "nope"])} == {
        "Code-1",
        "Code-2",
    }
    assert items.find_by("Code", ["code-1"], case_insensitive=False) == []
    assert [d["Code"] for d in items.get_many(["id2", "missing", "id1"])] == ["Code-2", "Code-1"]
    # fields without an index still filter inside SQLite
    assert items.count({"Missing": None}) == 10


def test_transaction_rolls_back_together() -> None:
    store = DocStore()
    things = store.collection("things", [])

    def write_then_fail() -> None:
        with store.transaction():
            things.insert("a", {}, T0)
            things.insert("b", {}, T0)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert things.count() == 0


def test_file_store_persists_and_counters_survive(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.db"
    store = DocStore(path)
    store.collection("things", ["Name"]).insert("a", {"Name": "A"}, T0)
    assert store.next_value("invoice") == 1
    assert store.next_value("invoice") == 2
    store.close()
    again = DocStore(path)
    # an index added later is filled in for documents already stored
    things = again.collection("things", ["Name", "Other"])
    assert things.find_by("Name", ["a"])[0] == {"Name": "A"}
    assert again.next_value("invoice") == 3


def test_hundred_thousand_documents_page_fast() -> None:
    contacts = DocStore().collection("contacts", ["Name", "ContactStatus"])
    contacts.insert_many(
        (
            f"id{n:06d}",
            {"Name": f"Contact {n:06d}", "ContactStatus": "ACTIVE"},
            T0 + timedelta(milliseconds=n),
        )
        for n in range(100_000)
    )
    started = time.perf_counter()
    page = contacts.find(
        {"ContactStatus": "ACTIVE"},
        modified_since=T0 + timedelta(seconds=50),
        order_by="modified",
        offset=40_000,
        limit=1000,
    )
    by_name = contacts.find_by("Name", ["contact 099999"])
    total = contacts.count({"ContactStatus": "ACTIVE"})
    elapsed = time.perf_counter() - started
    assert page[0]["Name"] == "Contact 090000"
    assert len(page) == 1000
    assert by_name[0]["Name"] == "Contact 099999"
    assert total == 100_000
    assert elapsed < 1.0
