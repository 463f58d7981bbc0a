"""Purchase orders of the Zoho CRM + Xero recipe: the vendor first, Xero's answers back."""

from __future__ import annotations

from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome
from ledgerbridge.store import Store
from tests.e2e.zoho_xero.world import outcome, zoho_xero


def test_a_purchase_order_goes_to_xero_after_its_vendor_and_its_status_comes_back(
    store: Store,
) -> None:
    with zoho_xero(store) as w:
        vendor = w.crm.create("Vendors", {"Vendor_Name": "Parts Co", "Add_to_Xero": True})
        bolt = w.crm.create(
            "Products",
            {
                "Product_Name": "Bolt",
                "Product_Code": "B-1",
                "Add_to_Xero": True,
                "Taxable": True,
                "Tax": "GST",
                "Unit_Price": 2,
            },
        )
        order = w.crm.create(
            "Purchase_Orders",
            {
                "Subject": "Bolts for May",
                "PO_Date": "2026-05-04",
                "Due_Date": "2026-05-29",
                "Vendor_Name": {"id": vendor["id"]},
                "Add_to_Xero": True,
                "Purchase_Items": [
                    {"Product_Name": {"id": bolt["id"]}, "Quantity": 100, "List_Price": 2}
                ],
            },
        )

        first = w.sync()
        assert first.failures == []
        po_id = w.partner("purchase_orders", order["id"])
        assert po_id is not None
        sent = w.xero.get("purchase_orders", po_id)
        assert sent is not None
        assert sent["PurchaseOrderNumber"] == order["PO_Number"]
        assert sent["Contact"]["ContactID"] == w.partner("vendors", vendor["id"])
        assert [(li["ItemCode"], li["Quantity"]) for li in sent["LineItems"]] == [("B-1", 100)]
        # the order's own dates, not the day it reached Xero
        assert str(sent["DateString"]).startswith("2026-05-04")
        assert str(sent["DeliveryDateString"]).startswith("2026-05-29")
        back = w.crm_record("Purchase_Orders", order["id"])
        assert back["Xero_ID"] == po_id
        assert back["Xero_Invoice_No"] == order["PO_Number"]

        special = next(t for t in w.xero.branding_themes() if t["Name"] == "Special Projects")
        w.xero.edit_purchase_order(
            po_id, Status="AUTHORISED", BrandingThemeID=special["BrandingThemeID"]
        )
        approved = w.sync()
        assert approved.failures == []
        back = w.crm_record("Purchase_Orders", order["id"])
        assert back["Xero_Status"] == "AUTHORISED"
        assert back["Branding_Theme"] == "Special Projects"

        quiet = w.sync()
        for sides in quiet.counts.by_flow.values():
            for counts in sides.values():
                assert set(counts) <= {"unchanged"}, quiet.counts
        assert w.xero.count("purchase_orders") == 1


def test_a_purchase_order_whose_vendor_is_not_in_xero_fails_naming_it(store: Store) -> None:
    with zoho_xero(store) as w:
        vendor = w.crm.create("Vendors", {"Vendor_Name": "Not Ticked Co"})
        nut = w.crm.create(
            "Products",
            {
                "Product_Name": "Nut",
                "Product_Code": "N-1",
                "Add_to_Xero": True,
                "Taxable": True,
                "Tax": "GST",
            },
        )
        order = w.crm.create(
            "Purchase_Orders",
            {
                "Subject": "Loose",
                "Vendor_Name": {"id": vendor["id"]},
                "Add_to_Xero": True,
                "Purchase_Items": [{"Product_Name": {"id": nut["id"]}, "Quantity": 1}],
            },
        )
        run = w.sync()
        item = outcome(run, Side.CRM, order["id"])
        assert item.outcome is Outcome.FAILED
        assert f"CRM record {vendor['id']} of flow vendors" in item.reason
        assert w.xero.count("purchase_orders") == 0


def test_a_purchase_order_made_in_xero_is_reported_not_copied_into_the_crm(store: Store) -> None:
    with zoho_xero(store) as w:
        supplier = w.xero.add_contact(Name="Xero Only Supplies")
        made = w.xero.add_purchase_order(
            Contact={"ContactID": supplier["ContactID"]},
            LineItems=[{"Description": "Gloves", "Quantity": 3, "UnitAmount": 4}],
        )
        run = w.sync("purchase_orders")
        item = outcome(run, Side.BOOKS, made["PurchaseOrderID"])
        assert item.outcome is Outcome.SKIPPED
        assert "made in the accounting system" in item.reason
        assert w.crm.count("Purchase_Orders") == 0
        # reported once; the next run, with nothing changed, neither copies nor fails it
        again = w.sync("purchase_orders")
        assert again.failures == [] and again.items == []
        assert w.crm.count("Purchase_Orders") == 0
