"""Invoices of the Zoho CRM + Xero recipe: account and products first, Xero's answers back."""

from __future__ import annotations

from typing import Any

from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome
from ledgerbridge.store import Store
from tests.e2e.zoho_xero.world import Pair, outcome, zoho_xero


def _product(w: Pair, code: str, *, ticked: bool = True) -> dict[str, Any]:
    fields = {
        "Product_Name": f"Product {code}",
        "Product_Code": code,
        "Add_to_Xero": ticked,
        "Taxable": True,
        "Tax": "GST",
        "Unit_Price": 10,
    }
    return w.crm.create("Products", fields)


def _invoice(w: Pair, account_id: str, product_id: str, subject: str) -> dict[str, Any]:
    return w.crm.create(
        "Invoices",
        {
            "Subject": subject,
            "Account_Name": {"id": account_id},
            "Add_to_Xero": True,
            "Invoiced_Items": [
                {"Product_Name": {"id": product_id}, "Quantity": 2, "List_Price": 10}
            ],
        },
    )


def test_an_invoice_goes_to_xero_and_its_payments_come_back(store: Store) -> None:
    with zoho_xero(store) as w:
        acme = w.crm.create("Accounts", {"Account_Name": "Acme Ltd", "Add_to_Xero": True})
        widget = _product(w, "W-1")
        invoice = _invoice(w, acme["id"], widget["id"], "March")

        first = w.sync()
        assert first.failures == []
        xero_id = w.partner("invoices", invoice["id"])
        assert xero_id is not None
        sent = w.xero.get("invoices", xero_id)
        assert sent is not None
        assert sent["Type"] == "ACCREC"
        assert sent["InvoiceNumber"] == invoice["Invoice_Number"]
        assert sent["Reference"] == "March"
        assert sent["Contact"]["ContactID"] == w.partner("accounts", acme["id"])
        assert [(line["ItemCode"], line["Quantity"]) for line in sent["LineItems"]] == [("W-1", 2)]
        written = w.crm_record("Invoices", invoice["id"])
        assert written["Xero_ID"] == xero_id
        assert written["Xero_Invoice_No"] == invoice["Invoice_Number"]
        # What Xero worked out comes back at once, not when the invoice next changes there.
        assert written["Xero_Status"] == "DRAFT"
        assert written["Amount_Paid"] == 0
        assert written["Amount_Due"] == sent["Total"]
        settled = w.sync()
        assert all(
            set(c) <= {"unchanged"} for s in settled.counts.by_flow.values() for c in s.values()
        )

        w.xero.edit_invoice(xero_id, Status="AUTHORISED")
        w.xero.add_payment(xero_id, 5)
        paid = w.sync()
        assert paid.failures == []
        back = w.crm_record("Invoices", invoice["id"])
        assert back["Xero_Status"] == "AUTHORISED"
        assert back["Amount_Paid"] == 5
        assert back["Amount_Due"] == sent["Total"] - 5

        quiet = w.sync()
        assert quiet.failures == []
        for sides in quiet.counts.by_flow.values():
            for counts in sides.values():
                assert set(counts) <= {"unchanged"}, quiet.counts
        assert w.xero.count("invoices") == 1


def test_an_invoice_keeps_its_own_dates_in_xero(store: Store) -> None:
    with zoho_xero(store) as w:
        acme = w.crm.create("Accounts", {"Account_Name": "Acme Ltd", "Add_to_Xero": True})
        widget = _product(w, "W-1")
        invoice = _invoice(w, acme["id"], widget["id"], "January work")
        w.crm.edit(
            "Invoices", invoice["id"], {"Invoice_Date": "2026-01-14", "Due_Date": "2026-02-13"}
        )

        assert w.sync().failures == []
        xero_id = w.partner("invoices", invoice["id"])
        assert xero_id is not None
        sent = w.xero.get("invoices", xero_id)
        assert sent is not None
        # the invoice's period and terms, not the day it reached Xero
        assert str(sent["DateString"]).startswith("2026-01-14")
        assert str(sent["DueDateString"]).startswith("2026-02-13")

        w.xero.edit_invoice(xero_id, DueDate="2026-02-28")
        assert w.sync().failures == []
        assert w.crm_record("Invoices", invoice["id"])["Due_Date"] == "2026-02-28"


def test_an_invoice_whose_product_is_not_in_xero_fails_with_the_product_named(
    store: Store,
) -> None:
    with zoho_xero(store) as w:
        acme = w.crm.create("Accounts", {"Account_Name": "Acme Ltd", "Add_to_Xero": True})
        loose = _product(w, "L-1", ticked=False)
        invoice = _invoice(w, acme["id"], loose["id"], "Loose parts")

        for _ in range(2):
            run = w.sync()
            item = outcome(run, Side.CRM, invoice["id"])
            assert item.outcome is Outcome.FAILED
            assert f"CRM record {loose['id']} of flow products" in item.reason
            assert "not synced yet" in item.reason
            assert w.partner("invoices", invoice["id"]) is None
            assert w.xero.count("invoices") == 0


def test_the_online_invoice_link_and_branding_theme_come_back_once_approved(
    store: Store,
) -> None:
    with zoho_xero(store) as w:
        acme = w.crm.create("Accounts", {"Account_Name": "Acme Ltd", "Add_to_Xero": True})
        widget = _product(w, "W-1")
        invoice = _invoice(w, acme["id"], widget["id"], "April")
        w.sync()
        xero_id = w.partner("invoices", invoice["id"])
        assert xero_id is not None
        # A draft has no online link yet.
        assert not w.crm_record("Invoices", invoice["id"]).get("Xero_Invoice_URL")

        special = next(t for t in w.xero.branding_themes() if t["Name"] == "Special Projects")
        w.xero.edit_invoice(
            xero_id, Status="AUTHORISED", BrandingThemeID=special["BrandingThemeID"]
        )
        approved = w.sync()
        assert approved.failures == []
        back = w.crm_record("Invoices", invoice["id"])
        code = w.xero.online_invoice_code(xero_id)
        assert back["Xero_Invoice_URL"].endswith(code)
        assert back["Xero_Invoice_URL"].startswith("https://")
        assert back["Branding_Theme"] == "Special Projects"
        assert back["Xero_Status"] == "AUTHORISED"

        quiet = w.sync()
        for sides in quiet.counts.by_flow.values():
            for counts in sides.values():
                assert set(counts) <= {"unchanged"}, quiet.counts
