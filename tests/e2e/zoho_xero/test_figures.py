"""Key accounting figures: receivables and total sales follow Xero into the CRM account."""

from __future__ import annotations

from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome
from ledgerbridge.store import Store
from tests.e2e.zoho_xero.world import Pair, zoho_xero


def _writes(w: Pair) -> dict[str, dict[str, dict[str, int]]]:
    """What the last run wrote, per flow and side (unchanged records left out)."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for flow, sides in w.reports[-1].counts.by_flow.items():
        for side, counts in sides.items():
            busy = {k: v for k, v in counts.items() if k != "unchanged" and v}
            if busy:
                out.setdefault(flow, {})[side] = busy
    return out


def test_receivables_and_sales_follow_invoices_and_payments(store: Store) -> None:
    with zoho_xero(store) as w:
        acme = w.crm.create("Accounts", {"Account_Name": "Acme Ltd", "Add_to_Xero": True})
        w.crm.create(
            "Products",
            {
                "Product_Name": "Widget",
                "Product_Code": "W-1",
                "Add_to_Xero": True,
                "Taxable": True,
                "Tax": "GST",
                "Unit_Price": 100,
            },
        )
        first = w.sync()
        assert first.failures == []
        contact_id = w.partner("accounts", acme["id"])
        assert contact_id is not None
        # No invoice yet: the figures are zero, written once.
        account = w.crm_record("Accounts", acme["id"])
        assert account["Outstanding_Receivables"] == 0
        assert account["Total_Sales"] == 0

        # An approved invoice entered in Xero: 2 x 100 + 15% GST.
        invoice = w.xero.add_invoice(
            Type="ACCREC",
            Contact={"ContactID": contact_id},
            Status="AUTHORISED",
            LineItems=[{"ItemCode": "W-1", "Quantity": 2, "UnitAmount": 100}],
        )
        total = invoice["Total"]
        w.sync()
        account = w.crm_record("Accounts", acme["id"])
        assert account["Outstanding_Receivables"] == total
        assert account["Total_Sales"] == total
        item = next(
            i
            for i in w.reports[-1].items
            if i.flow == "accounts" and i.side is Side.BOOKS and i.record_id == contact_id
        )
        assert item.outcome is Outcome.UPDATED
        assert "Outstanding_Receivables" in item.reason

        # A payment moves the invoice, not the contact: receivables drop, sales stay.
        w.xero.add_payment(invoice["InvoiceID"], 30)
        w.sync()
        account = w.crm_record("Accounts", acme["id"])
        assert account["Outstanding_Receivables"] == round(total - 30, 2)
        assert account["Total_Sales"] == total

        # Nothing moved: a second run writes nothing, figures included.
        w.sync()
        assert _writes(w) == {}
        w.sync()
        assert _writes(w) == {}


def test_a_draft_invoice_is_neither_receivable_nor_a_sale(store: Store) -> None:
    with zoho_xero(store) as w:
        acme = w.crm.create("Accounts", {"Account_Name": "Acme Ltd", "Add_to_Xero": True})
        w.sync()
        contact_id = w.partner("accounts", acme["id"])
        w.xero.add_invoice(
            Type="ACCREC",
            Contact={"ContactID": contact_id},
            Status="DRAFT",
            LineItems=[
                {"Description": "Advice", "Quantity": 1, "UnitAmount": 50, "AccountCode": "200"}
            ],
        )
        w.sync()
        account = w.crm_record("Accounts", acme["id"])
        assert account["Outstanding_Receivables"] == 0
        assert account["Total_Sales"] == 0
