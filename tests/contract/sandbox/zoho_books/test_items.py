"""Items: unique names and SKUs, taxes, product types and status."""

from __future__ import annotations

from ledgerbridge.sandbox.zoho_books import ZohoBooksState
from tests.contract.sandbox.zoho_books.conftest import BooksApi


def test_item_name_is_unique(api: BooksApi) -> None:
    api.ok("POST", "/items", json={"name": "Widget", "rate": 10})
    clash = api.post("/items", {"name": " widget ", "rate": 12})
    assert clash.status_code == 400
    assert clash.json()["code"] == 1001


def test_sku_is_unique_when_set_after_trimming(api: BooksApi) -> None:
    api.ok("POST", "/items", json={"name": "A", "sku": "ABC-1"})
    clash = api.post("/items", {"name": "B", "sku": " abc-1 "})
    assert clash.json()["code"] == 1001
    assert "SKU" in clash.json()["message"]
    # items without a SKU never clash with each other
    api.ok("POST", "/items", json={"name": "C"})
    api.ok("POST", "/items", json={"name": "D", "sku": ""})


def test_tax_must_exist_and_is_copied_onto_the_item(
    api: BooksApi, state: ZohoBooksState, org_id: str
) -> None:
    vat = api.ok("POST", "/settings/taxes", json={"tax_name": "VAT", "tax_percentage": 20})["tax"]
    assert [t["tax_id"] for t in api.ok("GET", "/settings/taxes")["taxes"]] == [vat["tax_id"]]
    item = api.ok("POST", "/items", json={"name": "Taxed", "tax_id": vat["tax_id"]})["item"]
    assert (item["tax_name"], item["tax_percentage"]) == ("VAT", 20.0)
    refused = api.post("/items", {"name": "Nowhere", "tax_id": "123"})
    assert refused.json() == {"code": 2, "message": "Invalid value passed for tax_id"}


def test_product_type_and_filters(api: BooksApi) -> None:
    api.ok("POST", "/items", json={"name": "Consulting", "product_type": "service"})
    api.ok("POST", "/items", json={"name": "Box"})
    assert api.post("/items", {"name": "Odd", "product_type": "magic"}).json()["code"] == 2
    services = api.ok("GET", "/items", params={"product_type": "service"})["items"]
    assert [i["name"] for i in services] == ["Consulting"]
    assert api.ok("GET", "/items", params={"name_contains": "ox"})["items"][0]["name"] == "Box"


def test_inactive_items_and_update(api: BooksApi) -> None:
    item = api.ok("POST", "/items", json={"name": "Old", "sku": "OLD"})["item"]
    api.ok("POST", f"/items/{item['item_id']}/inactive")
    assert api.ok("GET", "/items", params={"filter_by": "Status.Active"})["items"] == []
    updated = api.ok("PUT", f"/items/{item['item_id']}", json={"rate": 9.5})["item"]
    assert (updated["rate"], updated["status"]) == (9.5, "inactive")
    assert api.put(f"/items/{item['item_id']}", {"rate": -1}).json()["code"] == 2
    api.ok("DELETE", f"/items/{item['item_id']}")
    assert api.get(f"/items/{item['item_id']}").json()["code"] == 1002


def test_currencies_list_the_base_and_added_currencies(
    api: BooksApi, state: ZohoBooksState, org_id: str
) -> None:
    state.add_currency(org_id, "eur")
    currencies = api.ok("GET", "/settings/currencies")["currencies"]
    assert [(c["currency_code"], c["is_base_currency"]) for c in currencies] == [
        ("USD", True),
        ("EUR", False),
    ]
    made = api.ok("POST", "/contacts", json={"contact_name": "Euro Co", "currency_code": "EUR"})
    assert made["contact"]["currency_code"] == "EUR"
    assert (
        api.post("/contacts", {"contact_name": "Yen", "currency_code": "JPY"}).json()["code"] == 2
    )
