"""Items <-> Products between Zoho Books and Zoho CRM: Books records first, matched by name."""

from __future__ import annotations

from ledgerbridge.domain.runs import Outcome, RunStatus
from ledgerbridge.recipes.zoho_books import zoho_books_config
from ledgerbridge.store import Store
from tests.e2e.zoho_books.world import books_sync_world


def test_items_and_products_cross_both_ways_and_a_second_run_writes_nothing(
    store: Store,
) -> None:
    with books_sync_world(store) as w:
        w.books_item({"name": "Widget", "sku": "W-1", "rate": 12.5})
        gadget = w.crm_put(
            "Products", {"Product_Name": "Gadget", "Product_Code": "G-1", "Unit_Price": 40}
        )

        report = w.sync(["items"])

        assert report.status is RunStatus.SUCCEEDED, report.error
        counts = report.counts.as_dict()["items"]
        assert counts["books"]["created"] == counts["crm"]["created"] == 1
        (widget,) = [p for p in w.crm_state.all("Products") if p["Product_Name"] == "Widget"]
        assert (widget["Product_Code"], widget["Unit_Price"]) == ("W-1", 12.5)
        (item,) = [i for i in w.books_all("items") if i["name"] == "Gadget"]
        assert (item["sku"], item["rate"]) == ("G-1", 40)
        assert w.crm("Products", gadget)["Books_ID"] == item["item_id"]

        writes = w.writes()
        again = w.sync(["items"])
        assert again.total(Outcome.CREATED) == again.total(Outcome.UPDATED) == 0
        assert w.writes() == writes


def test_fetch_links_a_product_to_the_item_of_the_same_name(store: Store) -> None:
    with books_sync_world(store) as w:
        product = w.crm_put("Products", {"Product_Name": "Widget", "Product_Code": "W-1"})
        item = w.books_item({"name": " widget ", "sku": "W-1"})

        fetched = w.fetch(["items"])

        assert fetched.total(Outcome.LINKED) == 1
        (binding,) = w.bindings("items")
        assert (binding.crm_id, binding.books_id) == (product, item)
        w.sync(["items"])
        assert len(w.books_all("items")) == 1
        assert len(w.crm_state.all("Products")) == 1


def test_matching_by_sku_links_items_whose_names_differ(store: Store) -> None:
    config = zoho_books_config("zb", options={"item_match": "sku"})
    with books_sync_world(store, config) as w:
        product = w.crm_put("Products", {"Product_Name": "Widget Pro", "Product_Code": "W-1"})
        item = w.books_item({"name": "Widget (old name)", "sku": "W-1"})
        w.crm_put("Products", {"Product_Name": "No Code"})

        report = w.sync()

        (binding,) = w.bindings("items")
        assert (binding.crm_id, binding.books_id) == (product, item)
        (failed,) = report.failures
        assert failed.label == "No Code"
        assert "Product has no Product Code" in failed.reason
        assert len(w.books_all("items")) == 1
