"""The messy seed through every flow of the recipe, both ways: each record's exact outcome.

Customers are accounts and their contacts, with contacts that have no account synced as
individuals; vendors and items by name. Records present on both sides before the first run are
bound, never created again; a second run writes nothing new.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ledgerbridge.domain.runs import Outcome, RunStatus
from ledgerbridge.recipes.zoho_books import zoho_books_config
from ledgerbridge.sandbox.seed import generate, load_zoho_books, load_zoho_crm
from ledgerbridge.store import Store
from tests.e2e.zoho_books.world import BooksSyncWorld, books_sync_world

# Seed keys (numbers) of records present on both sides before the first run, by flow.
LINKED_ACCOUNTS = {0: 0, 6: 1, 22: 5}  # crm account -> books contact (same display name)
LINKED_VENDORS = {0: 6, 3: 7}
LINKED_ITEMS = {6: 0, 7: 1, 8: 2}
LINKED_PEOPLE = {25: 2}  # Mary O'Neil: matched by e-mail once trimmed and case-folded
# Books contacts that exist only in Books: they become CRM accounts.
BOOKS_ONLY_CUSTOMERS = (3, 4, 8, 9)
BOOKS_ONLY_ITEMS = (3, 4)
# CRM contacts with no account: individual customers.
LONE_CONTACTS = {22: "Lone Ranger", 45: "Jennifer Ngata", 46: "Björn Harris"}
# Widget Classic: its code equals Widget Standard's once trimmed; Books keeps SKUs unique.
SKU_CLASH = 2


def _by(records: list[dict[str, Any]], field: str) -> dict[str, dict[str, Any]]:
    counted = Counter(r[field] for r in records)
    dupes = [name for name, n in counted.items() if n > 1]
    assert not dupes, f"duplicates by {field}: {dupes}"
    return {r[field]: r for r in records}


def _bound(w: BooksSyncWorld, flow: str) -> dict[str, str]:
    return {b.crm_id: b.books_id for b in w.bindings(flow)}


def test_the_messy_seed_syncs_both_ways_with_each_record_where_it_belongs(
    store: Store,
) -> None:
    seed = generate(0, "small")
    config = zoho_books_config(
        "zb", options={"customers": "accounts_and_contacts", "contacts_without_account": "yes"}
    )
    with books_sync_world(store, config) as w:
        crm_ids = load_zoho_crm(seed, w.crm_state)
        books_ids = load_zoho_books(seed, w.books_state, w.org_id)

        def crm(kind: str, n: int) -> str:
            return crm_ids[f"seed:crm:{kind}:{n}"]

        def books(kind: str, n: int) -> str:
            return books_ids[f"seed:books:{kind}:{n}"]

        report = w.sync()

        # Only the SKU clash fails, with Books' reason naming the code.
        assert report.status is RunStatus.PARTIAL, report.error
        (failure,) = report.failures
        assert failure.label == "Widget Classic"
        assert 'The SKU "WID-100" is already used' in failure.reason

        contacts = _by(w.books_all("contacts"), "contact_name")
        checked_people = 0
        accounts = _by(w.crm_state.all("Accounts"), "Account_Name")
        # -- customers: every account is one Books business customer of the same name
        customers = _bound(w, "customers")
        for record in seed.crm.accounts:
            n = int(record.key.rsplit(":", 1)[1])
            name = record.data["Account_Name"]
            partner = contacts[name]  # byte for byte: punctuation and non-Latin names survive
            assert (partner["contact_type"], partner["customer_sub_type"]) == (
                "customer",
                "business",
            )
            assert customers[crm("accounts", n)] == partner["contact_id"]
            if n in LINKED_ACCOUNTS:
                assert partner["contact_id"] == books("contacts", LINKED_ACCOUNTS[n])
            assert w.crm("Accounts", crm("accounts", n))["Books_ID"] == partner["contact_id"], n
        # An account's primary contact (flagged, or its only one) is the primary person; with
        # several and none flagged, Books keeps the person it had (the run names the account).
        for record in seed.crm.accounts:
            people = [
                c.data
                for c in seed.crm.contacts
                if (c.data.get("Account_Name") or {}).get("id") == record.key
            ]
            flagged = [p for p in people if p.get("Primary_Contact")]
            primary = flagged[0] if flagged else people[0] if len(people) == 1 else None
            if primary is None:
                continue
            contact_id = contacts[record.data["Account_Name"]]["contact_id"]
            persons = w.books_state.contact_persons(w.org_id, contact_id)
            (first,) = [p for p in persons if p["is_primary_contact"]]
            assert (first["first_name"], first["last_name"], first["email"]) == (
                primary["First_Name"],
                primary["Last_Name"],
                primary.get("Email", "").strip(),
            ), record.data["Account_Name"]
            checked_people += 1
        assert checked_people > 5
        for n in BOOKS_ONLY_CUSTOMERS:
            name = seed.books.contacts[n].data["contact_name"]
            assert customers[accounts[name]["id"]] == books("contacts", n)
        assert len(accounts) == len(seed.crm.accounts) + len(BOOKS_ONLY_CUSTOMERS)

        # -- individuals: contacts with no account, and the one already in Books
        people = _bound(w, "individuals")
        individuals = [c for c in contacts.values() if c["customer_sub_type"] == "individual"]
        assert sorted(c["contact_name"] for c in individuals) == sorted(
            [*LONE_CONTACTS.values(), "Mary O'Neil"]
        )
        for n, name in LONE_CONTACTS.items():
            assert people[crm("contacts", n)] == contacts[name]["contact_id"]
        for n, b in LINKED_PEOPLE.items():
            assert people[crm("contacts", n)] == books("contacts", b)
        assert len(w.crm_state.all("Contacts")) == len(seed.crm.contacts)

        # -- vendors
        vendors = _bound(w, "vendors")
        crm_vendors = _by(w.crm_state.all("Vendors"), "Vendor_Name")
        assert len(crm_vendors) == len(seed.crm.vendors)
        for n, record in enumerate(seed.crm.vendors):
            partner = contacts[record.data["Vendor_Name"]]
            assert partner["contact_type"] == "vendor"
            assert vendors[crm("vendors", n)] == partner["contact_id"]
            if n in LINKED_VENDORS:
                assert partner["contact_id"] == books("contacts", LINKED_VENDORS[n])
        # Every Books contact is one of the above: nothing made twice, nothing stray.
        assert len(contacts) == len(seed.crm.accounts) - len(LINKED_ACCOUNTS) + len(
            seed.books.contacts
        ) + len(LONE_CONTACTS) + len(seed.crm.vendors) - len(LINKED_VENDORS)

        # -- items: Books first, by name
        items = _bound(w, "items")
        books_items = _by(w.books_all("items"), "name")
        products = _by(w.crm_state.all("Products"), "Product_Name")
        for n, record in enumerate(seed.crm.products):
            if n == SKU_CLASH:
                assert crm("products", n) not in items
                continue
            partner = books_items[record.data["Product_Name"]]
            assert items[crm("products", n)] == partner["item_id"]
            if n in LINKED_ITEMS:
                assert partner["item_id"] == books("items", LINKED_ITEMS[n])
        for n in BOOKS_ONLY_ITEMS:
            name = seed.books.items[n].data["name"]
            assert items[products[name]["id"]] == books("items", n)
        assert (
            len(books_items)
            == len(seed.books.items) + len(seed.crm.products) - len(LINKED_ITEMS) - 1
        )
        assert len(products) == len(seed.crm.products) + len(BOOKS_ONLY_ITEMS)

        # -- a second run changes nothing; only the refused item is tried (and refused) again
        before = len(w.ledger.entries())
        again = w.sync()
        assert again.total(Outcome.CREATED) == again.total(Outcome.UPDATED) == 0
        assert [f.label for f in again.failures] == ["Widget Classic"]
        # COQL is a POST that only reads.
        writes = [
            (e.system, e.method, e.path_template, e.status)
            for e in w.ledger.entries()[before:]
            if e.method != "GET" and not e.path_template.endswith("/coql")
        ]
        assert writes == [("zoho_books", "POST", "/books/v3/items", 400)]
        assert len(w.books_all("contacts")) == len(contacts)
        assert len(w.crm_state.all("Accounts")) == len(accounts)
