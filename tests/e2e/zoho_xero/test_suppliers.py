"""Suppliers made in Xero stay out of CRM Accounts; a bound contact keeps syncing."""

from __future__ import annotations

from typing import Any

from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome
from ledgerbridge.store import Store
from tests.e2e.zoho_xero.world import Pair, outcome, zoho_xero

LINE = [{"Description": "Parts", "Quantity": 1, "UnitAmount": 100}]


def _bill(w: Pair, contact_id: str) -> None:
    # An approved bill is what makes a Xero contact a supplier.
    w.xero.add_invoice(
        Type="ACCPAY", Contact={"ContactID": contact_id}, LineItems=LINE, Status="AUTHORISED"
    )


def _accounts_named(w: Pair, name: str) -> list[dict[str, Any]]:
    return [a for a in w.crm.all("Accounts") if a.get("Account_Name") == name]


def test_a_supplier_made_in_xero_is_skipped_with_its_reason_and_a_customer_comes_in(
    store: Store,
) -> None:
    with zoho_xero(store) as w:
        supplier = w.xero.add_contact(Name="Parts Supply Co")
        _bill(w, supplier["ContactID"])
        customer = w.xero.add_contact(Name="Buyer Ltd")

        report = w.sync("accounts")

        assert report.failures == []
        skipped = outcome(report, Side.BOOKS, supplier["ContactID"])
        assert skipped.outcome is Outcome.SKIPPED
        assert skipped.reason == "a supplier in Xero; vendors go from the CRM to Xero only"
        assert _accounts_named(w, "Parts Supply Co") == []
        (buyer,) = _accounts_named(w, "Buyer Ltd")
        assert w.partner("accounts", buyer["id"]) == customer["ContactID"]
        # Made from Xero, it carries its Xero id as a linked account would.
        assert buyer["Xero_ID"] == customer["ContactID"]
        # And the contact carries the account's id, as one made from the account would.
        stored = w.xero.get("contacts", customer["ContactID"])
        assert stored is not None
        assert stored["ContactNumber"] == buyer["id"]


def test_a_bound_contact_keeps_syncing_when_it_becomes_a_supplier(store: Store) -> None:
    with zoho_xero(store) as w:
        acme = w.crm.create("Accounts", {"Account_Name": "Acme Ltd", "Add_to_Xero": True})
        w.sync("accounts")
        contact_id = w.partner("accounts", acme["id"])
        assert contact_id is not None
        _bill(w, contact_id)
        w.clock.advance(60)
        w.xero.edit_contact(contact_id, Name="Acme Holdings Ltd")

        report = w.sync("accounts")

        assert report.failures == []
        assert report.counts.by_flow["accounts"]["books"] == {"updated": 1}
        assert w.crm_record("Accounts", acme["id"])["Account_Name"] == "Acme Holdings Ltd"
        stored = w.xero.get("contacts", contact_id)
        assert stored is not None
        assert stored["IsSupplier"] is True
