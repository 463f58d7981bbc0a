"""Invoices, payments and balances, and purchase orders."""

from __future__ import annotations

from typing import Any

import pytest

from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.zoho_books import SCOPE, ZohoBooksState
from tests.contract.sandbox.zoho_books.conftest import BooksApi


@pytest.fixture
def customer(api: BooksApi) -> str:
    contact: dict[str, Any] = api.ok("POST", "/contacts", json={"contact_name": "Buyer"})["contact"]
    return str(contact["contact_id"])


@pytest.fixture
def vendor(api: BooksApi) -> str:
    made = api.ok("POST", "/contacts", json={"contact_name": "Seller", "contact_type": "vendor"})
    return str(made["contact"]["contact_id"])


def _invoice(api: BooksApi, customer: str, **extra: Any) -> dict[str, Any]:
    body = {"customer_id": customer, "line_items": [{"name": "Work", "rate": 100}], **extra}
    invoice: dict[str, Any] = api.ok("POST", "/invoices", json=body)["invoice"]
    return invoice


def test_numbers_are_generated_given_and_unique(api: BooksApi, customer: str) -> None:
    assert _invoice(api, customer)["invoice_number"] == "INV-000001"
    assert _invoice(api, customer, invoice_number="INV-000002")["invoice_number"] == "INV-000002"
    # the series skips a number already given by hand
    assert _invoice(api, customer)["invoice_number"] == "INV-000003"
    clash = api.post(
        "/invoices",
        {"customer_id": customer, "invoice_number": "inv-000001", "line_items": [{"name": "x"}]},
    )
    assert clash.status_code == 400
    assert clash.json()["code"] == 1001


def test_line_totals_with_discount_and_tax(api: BooksApi, customer: str) -> None:
    tax = api.ok("POST", "/settings/taxes", json={"tax_name": "GST", "tax_percentage": 10})["tax"]
    item = api.ok("POST", "/items", json={"name": "Gadget", "rate": 19.99, "sku": "G-1"})["item"]
    invoice = _invoice(
        api,
        customer,
        line_items=[
            {"item_id": item["item_id"], "quantity": 3, "discount": 10, "tax_id": tax["tax_id"]},
            {"description": "Setup fee", "rate": 50},
        ],
    )
    first, second = invoice["line_items"]
    assert (first["name"], first["rate"], first["item_total"]) == ("Gadget", 19.99, 53.97)
    assert second["item_total"] == 50.0
    assert invoice["sub_total"] == 103.97
    assert invoice["tax_total"] == 5.4
    assert invoice["total"] == 109.37
    assert invoice["balance"] == 109.37
    assert invoice["status"] == "draft"
    listed = api.ok("GET", "/invoices")["invoices"][0]
    assert "line_items" not in listed


def test_bad_references_are_refused(api: BooksApi, customer: str, vendor: str) -> None:
    lines = [{"name": "x"}]
    unknown = api.post("/invoices", {"customer_id": "1", "line_items": lines})
    assert unknown.json() == {"code": 1002, "message": "Customer does not exist."}
    assert api.post("/invoices", {"customer_id": vendor, "line_items": lines}).json()["code"] == 2
    no_item = api.post("/invoices", {"customer_id": customer, "line_items": [{"item_id": "9"}]})
    assert no_item.json() == {"code": 1002, "message": "Item does not exist."}
    assert api.post("/invoices", {"customer_id": customer, "line_items": []}).json()["code"] == 4
    assert api.post("/invoices", {"line_items": lines}).json()["code"] == 4


def test_payments_move_balance_status_and_outstanding(api: BooksApi, customer: str) -> None:
    invoice = _invoice(api, customer)
    iid = invoice["invoice_id"]
    api.ok("POST", f"/invoices/{iid}/status/sent")
    assert api.ok("GET", f"/contacts/{customer}")["contact"]["outstanding_receivable_amount"] == 100

    def pay(amount: float, applied: float) -> dict[str, Any]:
        body = {
            "customer_id": customer,
            "amount": amount,
            "invoices": [{"invoice_id": iid, "amount_applied": applied}],
        }
        payment: dict[str, Any] = api.ok("POST", "/customerpayments", json=body)["payment"]
        return payment

    pay(30, 30)
    after = api.ok("GET", f"/invoices/{iid}")["invoice"]
    assert (after["status"], after["balance"], after["payment_made"]) == ("partially_paid", 70, 30)
    assert api.ok("GET", f"/contacts/{customer}")["contact"]["outstanding_receivable_amount"] == 70
    over = api.post(
        "/customerpayments",
        {
            "customer_id": customer,
            "amount": 80,
            "invoices": [{"invoice_id": iid, "amount_applied": 80}],
        },
    )
    assert over.status_code == 400
    payment = pay(90, 70)
    assert payment["unused_amount"] == 20
    paid = api.ok("GET", f"/invoices/{iid}")["invoice"]
    assert (paid["status"], paid["balance"]) == ("paid", 0)
    contact = api.ok("GET", f"/contacts/{customer}")["contact"]
    assert contact["outstanding_receivable_amount"] == 0
    assert contact["unused_credits_receivable_amount"] == 20
    assert api.post(f"/invoices/{iid}/status/void").json()["code"] == 6011
    assert api.delete(f"/invoices/{iid}").json()["code"] == 3009


def test_state_pay_invoice_helper_sends_a_draft_and_pays_it(
    api: BooksApi, customer: str, state: ZohoBooksState, org_id: str
) -> None:
    invoice = _invoice(api, customer)
    state.pay_invoice(org_id, invoice["invoice_id"])
    assert api.ok("GET", f"/invoices/{invoice['invoice_id']}")["invoice"]["status"] == "paid"


def test_overdue_on_virtual_time_and_void(
    api: BooksApi, customer: str, clock: VirtualClock, state: ZohoBooksState
) -> None:
    invoice = _invoice(api, customer, date="2026-03-10", due_date="2026-03-15")
    iid = invoice["invoice_id"]
    api.ok("POST", f"/invoices/{iid}/status/sent")
    assert api.ok("GET", "/invoices", params={"filter_by": "Status.OverDue"})["invoices"] == []
    clock.advance(6 * 86400)
    api.token = state.oauth.issue_for_tests(scope=SCOPE).access_token
    assert api.ok("GET", f"/invoices/{iid}")["invoice"]["status"] == "overdue"
    overdue = api.ok("GET", "/invoices", params={"filter_by": "Status.OverDue"})["invoices"]
    assert [i["invoice_id"] for i in overdue] == [iid]
    api.ok("POST", f"/invoices/{iid}/status/void")
    voided = api.ok("GET", f"/invoices/{iid}")["invoice"]
    assert (voided["status"], voided["balance"]) == ("void", 0)
    assert api.ok("GET", f"/contacts/{customer}")["contact"]["outstanding_receivable_amount"] == 0
    assert api.put(f"/invoices/{iid}", {"notes": "late"}).json()["code"] == 6011


def test_update_invoice_lines_recomputes_totals(api: BooksApi, customer: str) -> None:
    invoice = _invoice(api, customer)
    line_id = invoice["line_items"][0]["line_item_id"]
    updated = api.ok(
        "PUT",
        f"/invoices/{invoice['invoice_id']}",
        json={"line_items": [{"line_item_id": line_id, "name": "Work", "rate": 60, "quantity": 2}]},
    )["invoice"]
    assert updated["total"] == 120
    assert updated["line_items"][0]["line_item_id"] == line_id
    assert api.get("/invoices/1").status_code == 404


def test_purchase_orders_numbers_vendor_and_status_flow(
    api: BooksApi, vendor: str, customer: str
) -> None:
    lines = [{"name": "Parts", "rate": 10, "quantity": 5}]
    order = api.ok("POST", "/purchaseorders", json={"vendor_id": vendor, "line_items": lines})
    po = order["purchaseorder"]
    assert (po["purchaseorder_number"], po["status"], po["total"]) == ("PO-00001", "draft", 50)
    assert (
        api.post("/purchaseorders", {"vendor_id": customer, "line_items": lines}).json()["code"]
        == 2
    )
    pid = po["purchaseorder_id"]
    assert api.post(f"/purchaseorders/{pid}/status/billed").json()["code"] == 6011
    api.ok("POST", f"/purchaseorders/{pid}/status/open")
    api.ok("POST", f"/purchaseorders/{pid}/status/billed")
    assert api.ok("GET", f"/purchaseorders/{pid}")["purchaseorder"]["status"] == "billed"
    assert api.put(f"/purchaseorders/{pid}", {"notes": "x"}).json()["code"] == 6011
    listed = api.ok("GET", "/purchaseorders", params={"filter_by": "Status.Billed"})
    assert [p["purchaseorder_id"] for p in listed["purchaseorders"]] == [pid]
    clash = api.post(
        "/purchaseorders",
        {"vendor_id": vendor, "purchaseorder_number": "PO-00001", "line_items": lines},
    )
    assert clash.json()["code"] == 1001
