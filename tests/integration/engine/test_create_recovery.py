"""A run that dies after the other system made a record, before its binding was stored."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from ledgerbridge.connectors.faults import SimulatedCrash
from ledgerbridge.domain.bindings import Binding
from ledgerbridge.domain.records import Side
from ledgerbridge.store import Store
from tests.e2e.zoho_xero.world import Pair, zoho_xero


def _die_before_binding(w: Pair, flow: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies as ``flow`` goes to store the bindings of records just created."""
    real = w.store.bindings.insert_many

    def insert_many(integration_id: int, name: str, rows: Sequence[Binding]) -> Any:
        if name == flow:
            raise SimulatedCrash("the process died before the bindings were stored")
        return real(integration_id, name, rows)

    monkeypatch.setattr(w.store.bindings, "insert_many", insert_many)


def _contacts_named(w: Pair, name: str) -> list[dict[str, Any]]:
    return [c for c in w.xero.query("contacts").records if c["Name"] == name]


def test_a_vendor_made_in_xero_before_a_crash_is_linked_not_taken_for_a_customer(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    with zoho_xero(store) as w:
        vendor = w.crm.create(
            "Vendors", {"Vendor_Name": "Parts Co", "Email": "sales@parts.test", "Add_to_Xero": True}
        )
        with monkeypatch.context() as patched:
            _die_before_binding(w, "vendors", patched)
            with pytest.raises(SimulatedCrash):
                w.sync()
        (made,) = _contacts_named(w, "Parts Co")
        assert w.partner("vendors", vendor["id"]) is None
        assert store.in_flight.sent(w.integration.id, "vendors", Side.BOOKS) == {
            vendor["id"]: [("ContactNumber", "code", vendor["id"]), ("Name", "name", "parts co")]
        }

        # The accounts flow runs first and reads the new contact: it is the vendor's, not a
        # customer to copy into CRM Accounts. The vendors flow links it although its duplicate
        # policy is "skip": it is the record made from this vendor, not a duplicate.
        report = w.sync()

        assert [a for a in w.crm.all("Accounts") if a["Account_Name"] == "Parts Co"] == []
        assert len(_contacts_named(w, "Parts Co")) == 1
        assert w.partner("vendors", vendor["id"]) == made["ContactID"]
        assert w.crm_record("Vendors", vendor["id"])["Xero_ID"] == made["ContactID"]
        assert report.counts.by_flow["vendors"]["crm"] == {"linked": 1}
        assert report.failures == []
        assert store.in_flight.sent(w.integration.id, "vendors", Side.BOOKS) == {}

        again = w.sync()
        assert again.failures == []
        assert "created" not in again.counts.by_flow.get("accounts", {}).get("books", {})


def test_creates_are_noted_only_while_in_flight(store: Store) -> None:
    with zoho_xero(store) as w:
        w.crm.create("Vendors", {"Vendor_Name": "Bolt Co", "Add_to_Xero": True})
        w.crm.create("Accounts", {"Account_Name": "Buyer Co", "Add_to_Xero": True})
        w.sync()
        for flow in ("accounts", "vendors"):
            for side in (Side.CRM, Side.BOOKS):
                assert store.in_flight.sent(w.integration.id, flow, side) == {}
