"""More records than one page: a first sync gets every one across in one run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledgerbridge.store import Store
from tests.e2e.zoho_xero.world import zoho_xero


@pytest.mark.parametrize("spacing", [1, 0], ids=["one-a-second", "all-in-one-second"])
def test_every_account_of_several_pages_is_created_and_written_back_in_one_run(
    store: Store, spacing: int
) -> None:
    # Each created account gets its Xero id written back while the CRM is still being read,
    # which moves it to the end of the change feed: no account behind it may be passed over.
    with zoho_xero(store) as w:
        docs = [{"Account_Name": f"Customer {i:03d}", "Add_to_Xero": True} for i in range(450)]
        earlier = w.clock.now() - timedelta(hours=1)
        ids = w.crm.bulk_insert("Accounts", docs, modified=earlier, spacing_seconds=spacing)

        first = w.sync("accounts")
        assert first.failures == []
        assert first.counts.by_flow["accounts"]["crm"].get("created") == 450
        assert w.xero.count("contacts") == 450
        assert all(w.partner("accounts", i) is not None for i in ids)

        again = w.sync("accounts")
        assert "created" not in again.counts.by_flow["accounts"]["crm"]
        assert w.xero.count("contacts") == 450
