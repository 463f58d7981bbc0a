"""Vendors of the Zoho CRM + Xero recipe: off by default, Xero contacts when run."""

from __future__ import annotations

from ledgerbridge.store import Store
from tests.e2e.zoho_xero.world import zoho_xero


def test_vendors_wait_until_their_flow_is_run(store: Store) -> None:
    with zoho_xero(store) as w:
        vendor = w.crm.create("Vendors", {"Vendor_Name": "Supplies Inc", "Add_to_Xero": True})

        default = w.sync()
        assert "vendors" not in default.counts.by_flow
        assert w.xero.count("contacts") == 0

        run = w.sync("vendors")
        assert run.failures == []
        contact_id = w.partner("vendors", vendor["id"])
        assert contact_id is not None
        contact = w.xero.get("contacts", contact_id)
        assert contact is not None
        assert contact["Name"] == "Supplies Inc"
        assert contact["ContactNumber"] == vendor["id"]
        assert w.crm_record("Vendors", vendor["id"])["Xero_ID"] == contact_id

        again = w.sync("vendors")
        assert again.counts.by_flow["vendors"]["crm"] == {"unchanged": 1}
        assert w.xero.count("contacts") == 1
