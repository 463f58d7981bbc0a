"""The messy seed through the Zoho CRM + Xero recipe: each messy record's exact outcome."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunItem
from ledgerbridge.engine.model import RunReport
from ledgerbridge.sandbox.seed import generate
from ledgerbridge.sandbox.seed.loaders import load_xero, load_zoho_crm
from ledgerbridge.store import Store
from tests.e2e.zoho_xero.world import Pair, zoho_xero

FLOW_OF = {"Accounts": "accounts", "Vendors": "vendors", "Products": "products"}


def _items(report: RunReport, record_id: str) -> list[RunItem]:
    return [i for i in report.items if i.record_id == record_id and i.side is Side.CRM]


def _one(report: RunReport, record_id: str) -> RunItem:
    found = _items(report, record_id)
    assert len(found) == 1, (record_id, found)
    return found[0]


def _writes(report: RunReport) -> dict[tuple[str, str], Any]:
    written = {"created", "updated", "linked"}
    return {
        (flow, side): {k: v for k, v in counts.items() if k in written}
        for flow, sides in report.counts.by_flow.items()
        for side, counts in sides.items()
        if written & set(counts)
    }


def _bound(w: Pair, flow: str, ids: list[str]) -> dict[str, str]:
    rows = w.store.bindings.get_many(w.integration.id, flow, Side.CRM, ids)
    return {crm_id: b.books_id for crm_id, b in rows.items()}


def test_the_messy_seed_syncs_record_by_record_and_a_second_run_writes_nothing(
    store: Store,
) -> None:
    world = generate(seed=0, count=10)
    with zoho_xero(store) as w:
        crm = load_zoho_crm(world, w.crm)
        xero = load_xero(world, w.xero)
        cases: dict[str, list[str]] = {}
        for case in world.expected.cases:
            cases.setdefault(case.name, []).append(case.key)

        fetched = w.fetch()
        # Present on both sides before the first run: bound by fetch, never created again.
        for match in world.expected.matches:
            if match.module not in FLOW_OF or match.xero_key is None:
                continue
            assert w.partner(FLOW_OF[match.module], crm[match.crm_key]) == xero[match.xero_key]
        assert fetched.total(Outcome.CREATED) == 0
        xero_contacts_before = w.xero.count("contacts")

        first = w.sync()

        trio = crm[cases["no_primary_contact"][0]]
        assert "none is marked Primary_Contact" in _one(first, trio).reason
        crowd = crm[cases["more_than_five_contacts"][0]]
        assert "only 5 Contacts fit besides the primary one" in _one(first, crowd).reason
        crowd_contact = w.xero.get("contacts", str(w.partner("accounts", crowd)))
        assert crowd_contact is not None
        assert len(crowd_contact["ContactPersons"]) == 5
        assert crowd_contact["EmailAddress"]

        for key in cases["no_email"]:
            record = crm[key]
            if key in {r.key for r in world.crm.contacts}:
                item = _one(first, record)
                assert (item.flow, item.outcome) == ("contacts", Outcome.FAILED)
                assert item.reason.startswith("Contact has no Email")
            else:  # an account without any contact: it syncs, with no e-mail
                made = w.xero.get("contacts", str(w.partner("accounts", record)))
                assert made is not None and not made.get("EmailAddress")
        for key in cases["contact_without_account"] + cases["odd_email_match"]:
            item = _one(first, crm[key])
            assert (item.flow, item.outcome) == ("contacts", Outcome.SKIPPED)
            assert item.reason.startswith("Contact has no Account")

        aside = crm[cases["not_ticked"][0]]
        assert w.partner("accounts", aside) is None
        assert _items(first, aside) == []
        acme, lookalike = (crm[k] for k in cases["lookalike_names"])
        assert w.partner("accounts", acme) != w.partner("accounts", lookalike)
        assert w.partner("accounts", lookalike) is not None

        no_code = crm[cases["product_without_code"][0]]
        assert "Product has no Product_Code" in _one(first, no_code).reason
        # The two products whose codes collide once trimmed are both taxed VAT, which this
        # (GST) organisation has no rate for: both fail on the tax, neither reaches Xero.
        for key in cases["colliding_codes"]:
            assert w.partner("products", crm[key]) is None
            assert _one(first, crm[key]).outcome is Outcome.FAILED
        # Tax: GST and Exempt map to this organisation's rates; VAT and Sales Tax do not.
        for product in world.crm.products:
            tax, code = product.data.get("Tax"), product.data.get("Product_Code")
            pid = crm[product.key]
            if tax in ("VAT", "Sales Tax") and code:
                reason = _one(first, pid).reason
                assert "Product has no Tax that maps to a Xero tax rate" in reason
                assert "GST on Income" in reason
            if tax in ("GST", "Exempt") and code:
                assert w.partner("products", pid) is not None
        for key in cases["unknown_product_line"]:
            if key in crm:
                item = _one(first, crm[key])
                assert item.outcome is Outcome.FAILED
                assert "of flow products" in item.reason

        # No duplicate anywhere: Xero names and codes unique, every CRM record bound once.
        names = Counter(
            c["Name"].casefold()
            for c in w.xero.all("contacts")
            if c.get("ContactStatus", "ACTIVE") == "ACTIVE"
        )
        assert [n for n, k in names.items() if k > 1] == []
        codes = Counter(i["Code"].casefold() for i in w.xero.all("items"))
        assert [c for c, k in codes.items() if k > 1] == []
        for flow in ("accounts", "vendors", "products", "invoices"):
            partners = list(_bound(w, flow, list(crm.values())).values())
            assert len(partners) == len(set(partners)), flow
        assert w.xero.count("contacts") >= xero_contacts_before

        second = w.sync()
        assert _writes(second) == {}
        third = w.sync()
        assert _writes(third) == {}
        assert third.total(Outcome.FAILED) == second.total(Outcome.FAILED)
