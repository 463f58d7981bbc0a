"""The seed generator: determinism, sizes, every messy case, and loading into the emulators."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.sandbox.seed import (
    OUTCOMES,
    SeedRecord,
    SeedWorld,
    generate,
    load_xero,
    load_zoho_books,
    load_zoho_crm,
)
from ledgerbridge.sandbox.seed.generate import KEY_PREFIX
from ledgerbridge.sandbox.xero.state import XeroState
from ledgerbridge.sandbox.zoho_books import ZohoBooksState
from ledgerbridge.sandbox.zoho_crm.state import ZohoCrmState


@pytest.fixture(scope="module")
def small() -> SeedWorld:
    return generate(seed=3, size="small")


@pytest.fixture(scope="module")
def medium() -> SeedWorld:
    return generate(seed=3, size="medium")


def _all(world: SeedWorld) -> Iterator[SeedRecord]:
    for side in (world.crm, world.xero, world.books):
        for records in vars(side).values():
            yield from records


def _by_key(world: SeedWorld) -> dict[str, SeedRecord]:
    return {r.key: r for r in _all(world)}


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, str) and value.startswith(KEY_PREFIX):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _refs(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _refs(inner)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def test_same_seed_same_world_other_seed_other_world(small: SeedWorld) -> None:
    assert generate(seed=3, size="small") == small
    assert generate(seed=4, size="small") != small


def test_sizes_and_explicit_count(small: SeedWorld, medium: SeedWorld) -> None:
    assert 20 <= len(small.crm.accounts) <= 60
    assert 10 <= len(small.crm.products) <= 60
    assert len(medium.crm.accounts) == 1000
    assert len(medium.crm.invoices) == 1000
    assert len(generate(size=None, count=50).crm.accounts) == 50
    assert generate(count=50).size == "count=50"


def test_large_is_about_100000_records_in_a_few_seconds() -> None:
    started = time.monotonic()
    world = generate(seed=1, size="large")
    elapsed = time.monotonic() - started
    assert 90_000 <= world.count() <= 110_000
    assert elapsed < 15


@pytest.mark.parametrize(("size", "count"), [("huge", None), ("small", 0)])
def test_bad_size_or_count_is_a_config_error(size: str, count: int | None) -> None:
    with pytest.raises(ConfigError):
        generate(size=size, count=count)


def test_keys_are_unique_and_references_point_backwards(medium: SeedWorld) -> None:
    seen: set[str] = set()
    for record in _all(medium):
        assert record.key not in seen
        for ref in _refs(record.data):
            assert ref in seen, f"{record.key} refers to {ref} before it exists"
        seen.add(record.key)


def test_every_messy_case_is_present_with_its_outcome(small: SeedWorld) -> None:
    assert small.expected.case_names() == set(OUTCOMES)
    records = _by_key(small)
    for case in small.expected.cases:
        assert case.key in records
        assert case.outcome == OUTCOMES[case.name]


def test_lookalike_names_stay_distinct_after_normalisation(small: SeedWorld) -> None:
    records = _by_key(small)
    a, b = (records[k].data["Account_Name"] for k in small.expected.keys("lookalike_names"))
    assert a != b
    assert _norm(a) != _norm(b)
    assert _norm(a) == _norm(b).rstrip(".")


def test_punctuation_and_non_latin_names(small: SeedWorld) -> None:
    records = _by_key(small)
    names = [
        records[k].data.get("Account_Name") or records[k].data.get("Product_Name")
        for k in small.expected.keys("punctuation_name")
    ]
    joined = "".join(str(n) for n in names)
    for char in "'\"(),&":
        assert char in joined
    scripts = {
        unicodedata.name(ch).split()[0]
        for k in small.expected.keys("non_latin_name")
        for ch in str(records[k].data.get("Account_Name") or records[k].data.get("Product_Name"))
        if not ch.isascii() and ch.isalpha()
    }
    assert {"CJK", "CYRILLIC", "ARABIC", "GREEK", "KATAKANA"} <= scripts


def _contacts_of(world: SeedWorld, account_key: str) -> list[SeedRecord]:
    return [
        c for c in world.crm.contacts if c.data.get("Account_Name", {}).get("id") == account_key
    ]


def test_account_contact_cases(small: SeedWorld) -> None:
    (trio,) = small.expected.keys("no_primary_contact")
    assert len(_contacts_of(small, trio)) >= 2
    (crowd,) = small.expected.keys("more_than_five_contacts")
    assert len(_contacts_of(small, crowd)) > 5
    records = _by_key(small)
    for loner in small.expected.keys("contact_without_account"):
        assert "Account_Name" not in records[loner].data
    for missing in small.expected.keys("no_email"):
        record = records[missing]
        if "Account_Name" in record.data and isinstance(record.data["Account_Name"], str):
            assert not any(c.data.get("Email") for c in _contacts_of(small, missing))
        else:
            assert not record.data.get("Email")


def test_odd_email_binds_to_its_clean_twin(small: SeedWorld) -> None:
    records = _by_key(small)
    (odd,) = small.expected.keys("odd_email_match")
    raw = records[odd].data["Email"]
    assert raw != raw.strip().lower()
    match = next(m for m in small.expected.matches if m.crm_key == odd)
    assert match.xero_key is not None
    assert match.books_key is not None
    assert records[match.xero_key].data["EmailAddress"] == raw.strip().lower()
    assert records[match.books_key].data["email"] == raw.strip().lower()


def test_duplicate_email_is_ambiguous_on_the_accounting_sides(small: SeedWorld) -> None:
    records = _by_key(small)
    emails = [
        str(
            records[k].data.get("Email")
            or records[k].data.get("EmailAddress")
            or records[k].data.get("email")
        )
        for k in small.expected.keys("duplicate_email")
    ]
    assert len({e.casefold() for e in emails}) == 1
    assert len(set(emails)) == 2


def test_product_cases(small: SeedWorld) -> None:
    records = _by_key(small)
    for key in small.expected.keys("product_without_code"):
        assert "Product_Code" not in records[key].data
    a, b = (records[k].data["Product_Code"] for k in small.expected.keys("colliding_codes"))
    assert a != b
    assert a.strip() == b.strip()
    taxes = {t.data["tax_name"] for t in small.books.taxes}
    for key in small.expected.keys("unmapped_tax"):
        assert records[key].data["Tax"] not in taxes


def test_unknown_product_lines_on_each_side(small: SeedWorld) -> None:
    records = _by_key(small)
    keys = small.expected.keys("unknown_product_line")
    crm = next(records[k] for k in keys if k.startswith(KEY_PREFIX + "crm"))
    product_keys = [line["Product_Name"]["id"] for line in crm.data["Invoiced_Items"]]
    assert any("Product_Code" not in records[p].data for p in product_keys)
    xero = next(records[k] for k in keys if k.startswith(KEY_PREFIX + "xero"))
    assert any("ItemCode" not in line for line in xero.data["LineItems"])
    books = next(records[k] for k in keys if k.startswith(KEY_PREFIX + "books"))
    assert any("item_id" not in line for line in books.data["line_items"])


def test_matches_share_their_key_values(medium: SeedWorld) -> None:
    records = _by_key(medium)
    modules = {m.module for m in medium.expected.matches}
    assert {"Accounts", "Contacts", "Vendors", "Products"} <= modules
    for match in medium.expected.matches:
        crm = records[match.crm_key].data
        for twin_key in (match.xero_key, match.books_key):
            if twin_key is None:
                continue
            twin = records[twin_key].data
            if match.module == "Products":
                assert (twin.get("Code") or twin.get("sku")) == crm["Product_Code"]
            elif match.module == "Contacts":
                assert (twin.get("EmailAddress") or twin.get("email")) == _norm(crm["Email"])
            else:
                name = crm.get("Account_Name") or crm.get("Vendor_Name")
                assert (twin.get("Name") or twin.get("contact_name")) == name
    matched_accounts = {m.crm_key for m in medium.expected.matches if m.module == "Accounts"}
    assert 0.15 <= len(matched_accounts) / len(medium.crm.accounts) <= 0.45


def test_accounting_sides_respect_their_own_uniqueness(medium: SeedWorld) -> None:
    xero_names = [c.data["Name"].casefold() for c in medium.xero.contacts]
    books_names = [c.data["contact_name"].casefold() for c in medium.books.contacts]
    codes = [i.data["Code"].casefold() for i in medium.xero.items]
    skus = [i.data["sku"].casefold() for i in medium.books.items]
    for values in (xero_names, books_names, codes, skus):
        assert len(values) == len(set(values))


def test_small_world_loads_into_all_three_emulators(small: SeedWorld) -> None:
    crm = ZohoCrmState()
    xero = XeroState()
    books = ZohoBooksState()
    crm_ids = load_zoho_crm(small, crm)
    xero_ids = load_xero(small, xero)
    books_ids = load_zoho_books(small, books)
    assert crm.count("Accounts") == len(small.crm.accounts)
    assert crm.count("Invoices") == len(small.crm.invoices)
    assert xero.count("contacts") == len(small.xero.contacts)
    assert xero.count("invoices") == len(small.xero.invoices)
    org = books.default_organization_id
    assert books.count(org, "contacts") == len(small.books.contacts)
    assert books.count(org, "invoices") == len(small.books.invoices)
    (crowd,) = small.expected.keys("more_than_five_contacts")
    contact = crm.get("Contacts", crm_ids[_contacts_of(small, crowd)[0].key])
    assert contact is not None
    assert contact["Account_Name"]["id"] == crm_ids[crowd]
    (odd,) = small.expected.keys("odd_email_match")
    match = next(m for m in small.expected.matches if m.crm_key == odd)
    assert match.books_key is not None
    assert match.xero_key is not None
    twin = books.get(org, "contacts", books_ids[match.books_key])
    assert twin["email"] == "mary.oneil@example.com"
    assert twin["customer_sub_type"] == "individual"
    xero_twin = xero.get("contacts", xero_ids[match.xero_key])
    assert xero_twin is not None
    assert xero_twin["EmailAddress"] == "mary.oneil@example.com"


def test_large_books_side_loads_into_a_file_backed_emulator(tmp_path: Path) -> None:
    world = generate(seed=0, size="large")
    started = time.monotonic()
    books = ZohoBooksState(data=tmp_path / "books.sqlite3")
    load_zoho_books(world, books)
    elapsed = time.monotonic() - started
    org = books.default_organization_id
    assert books.count(org, "contacts") == len(world.books.contacts) > 5000
    assert elapsed < 60


def test_crm_records_are_ticked_for_xero_except_the_not_ticked_case(small: SeedWorld) -> None:
    left_out = set(small.expected.keys("not_ticked"))
    assert len(left_out) == 1
    crm = small.crm
    for records in (crm.accounts, crm.vendors, crm.products, crm.invoices, crm.purchase_orders):
        for record in records:
            assert record.data.get("Add_to_Xero") is (record.key not in left_out), record.key


def test_each_case_names_the_crm_field_it_is_about(small: SeedWorld) -> None:
    by_key = _by_key(small)
    for case in small.expected.cases:
        assert case.outcome == OUTCOMES[case.name]
        if case.name == "present_on_both_sides":
            assert case.field == ""
            continue
        assert case.field, case.name
        if case.name in ("no_email", "product_without_code") and case.key.startswith("seed:crm"):
            # the field the case is about is the one the record lacks
            assert case.field not in by_key[case.key].data, case.key
