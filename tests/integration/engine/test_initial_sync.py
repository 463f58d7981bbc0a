"""First syncs: records cross both ways, a repeat writes nothing, matches are never duplicated."""

from __future__ import annotations

from ledgerbridge.domain.config import DuplicatePolicy
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunStatus
from tests.integration.engine.conftest import BuildWorld
from tests.support.flows import one_flow, people_flow


def test_initial_sync_creates_records_both_ways(build: BuildWorld) -> None:
    w = build()
    acme = w.crm.put(
        "Accounts", {"Account_Name": "Acme Ltd", "Email": "a@acme.test", "Rating": "Hot"}
    )
    globex = w.books.put(
        "Contacts",
        {"Name": "Globex", "EmailAddress": "g@globex.test", "Tier": "C", "Balance": 12.5},
    )

    report = w.sync()

    assert report.status is RunStatus.SUCCEEDED
    assert report.counts.as_dict()["accounts"]["crm"]["created"] == 1
    assert report.counts.as_dict()["accounts"]["books"]["created"] == 1
    acme_books = w.partner("accounts", Side.CRM, acme.id)
    assert acme_books is not None
    assert acme_books.fields["Name"] == "Acme Ltd"
    assert acme_books.fields["Tier"] == "A"
    assert acme_books.fields["DefaultCurrency"] == "USD"
    assert acme_books.fields["ContactNumber"] == acme.id
    globex_crm = w.partner("accounts", Side.BOOKS, globex.id)
    assert globex_crm is not None
    assert globex_crm.fields["Account_Name"] == "Globex"
    assert globex_crm.fields["Rating"] == "Cold"
    assert globex_crm.fields["Balance"] == 12.5
    assert w.sizes("accounts") == (2, 2)
    assert w.mismatches("accounts") == []
    assert w.binding_problems("accounts") == []


def test_a_second_run_writes_nothing(build: BuildWorld) -> None:
    w = build()
    acme = w.crm.put("Accounts", {"Account_Name": "Acme Ltd", "Email": "a@acme.test"})
    w.crm.put("Products", {"Product_Name": "Widget", "Product_Code": "W1", "Unit_Price": 9.5})
    w.crm.put(
        "Invoices",
        {
            "Invoice_Number": "INV-1",
            "Account_Name": {"id": acme.id},
            "Invoiced_Items": [{"Product_Name": {"id": "1"}, "Quantity": 2}],
        },
    )
    w.books.put("Contacts", {"Name": "Globex"})
    first = w.sync()
    assert first.status is RunStatus.SUCCEEDED
    writes = w.writes()

    for _ in range(2):
        again = w.sync()
        assert again.status is RunStatus.SUCCEEDED
        assert w.writes() == writes
        assert again.items == []
        outcomes = {
            o for sides in again.counts.as_dict().values() for s in sides.values() for o in s
        }
        assert outcomes <= {Outcome.UNCHANGED.value}


def test_fetch_links_records_on_both_sides_so_the_first_sync_creates_none(
    build: BuildWorld,
) -> None:
    w = build()
    acme = w.crm.put("Accounts", {"Account_Name": "Acme  Ltd", "Phone": "1"})
    w.crm.put("Products", {"Product_Name": "Widget", "Product_Code": "W1"})
    contact = w.books.put("Contacts", {"Name": "ACME LTD", "Phone": "1"})
    item = w.books.put("Items", {"Name": "Widget", "Code": "W1"})

    fetched = w.fetch()

    assert fetched.counts.as_dict()["accounts"]["crm"]["linked"] == 1
    assert fetched.counts.as_dict()["products"]["crm"]["linked"] == 1
    assert w.writes() == dict.fromkeys(w.writes(), 0)
    partner = w.partner("accounts", Side.CRM, acme.id)
    assert partner is not None
    assert partner.id == contact.id
    assert w.partner("products", Side.BOOKS, item.id) is not None

    report = w.sync()

    assert report.status is RunStatus.SUCCEEDED
    assert report.total(Outcome.CREATED) == 0
    assert w.books.calls["create_many"] == 0
    assert w.crm.calls["create_many"] == 0
    assert w.sizes("accounts") == (1, 1)
    assert w.sizes("products") == (1, 1)


def test_the_first_sync_links_by_key_without_fetch(build: BuildWorld) -> None:
    w = build(one_flow(people_flow()))
    w.crm.put("People", {"Full_Name": "Ann", "Email": "Ann@Example.test"})
    w.books.put("Contacts", {"Name": "Ann B", "EmailAddress": " ann@example.test"})

    report = w.sync()

    assert report.counts.as_dict()["people"]["crm"]["linked"] == 1
    assert w.books.calls["create_many"] == 0
    assert w.crm.calls["create_many"] == 0
    assert w.sizes("people") == (1, 1)
    assert w.mismatches("people") == []


def test_duplicate_policy_overwrite_links_and_writes_the_source_values(
    build: BuildWorld,
) -> None:
    w = build(one_flow(people_flow(duplicate=DuplicatePolicy.OVERWRITE)))
    ann = w.crm.put("People", {"Full_Name": "Ann", "Email": "ann@x.test", "Phone": "1"})
    old = w.books.put("Contacts", {"Name": "A. Smith", "EmailAddress": "ANN@x.test"})

    report = w.sync()

    assert report.counts.as_dict()["people"]["crm"] == {"linked": 1}
    assert w.sizes("people") == (1, 1)
    partner = w.partner("people", Side.CRM, ann.id)
    assert partner is not None
    assert partner.id == old.id
    assert partner.fields["Name"] == "Ann"
    assert partner.fields["Phone"] == "1"
    assert w.mismatches("people") == []


def test_duplicate_policy_clone_creates_another_record(build: BuildWorld) -> None:
    w = build(one_flow(people_flow(duplicate=DuplicatePolicy.CLONE)))
    w.crm.put("People", {"Full_Name": "Ann", "Email": "ann@x.test"})
    w.books.put("Contacts", {"Name": "A. Smith", "EmailAddress": "ann@x.test"})

    report = w.sync()

    assert report.status is RunStatus.SUCCEEDED
    # Each side's record gets its own partner: nothing existing is overwritten.
    assert w.sizes("people") == (2, 2)
    assert sorted(r.fields["Name"] for r in w.books.all("Contacts")) == ["A. Smith", "Ann"]
    assert w.binding_problems("people") == []
    assert w.mismatches("people") == []


def test_duplicate_policy_skip_leaves_both_alone_and_says_why(build: BuildWorld) -> None:
    w = build(one_flow(people_flow(duplicate=DuplicatePolicy.SKIP)))
    ann = w.crm.put("People", {"Full_Name": "Ann", "Email": "ann@x.test"})
    smith = w.books.put("Contacts", {"Name": "A. Smith", "EmailAddress": "ann@x.test"})

    report = w.sync()

    assert w.write_total() == 0
    assert w.bindings("people") == []
    skipped = {(i.side, i.record_id): i for i in report.items if i.outcome is Outcome.SKIPPED}
    crm_item = skipped[(Side.CRM, ann.id)]
    assert crm_item.partner_id == smith.id
    assert "duplicate policy is 'skip'" in crm_item.reason
    assert (Side.BOOKS, smith.id) in skipped
    assert w.sizes("people") == (1, 1)
