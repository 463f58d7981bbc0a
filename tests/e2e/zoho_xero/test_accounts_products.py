"""Accounts and products of the Zoho CRM + Xero recipe against both emulators."""

from __future__ import annotations

from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome
from ledgerbridge.store import Store
from tests.e2e.zoho_xero.world import outcome, zoho_xero


def test_accounts_are_created_linked_or_left_alone(store: Store) -> None:
    with zoho_xero(store) as w:
        acme = w.crm.create("Accounts", {"Account_Name": "Acme Ltd", "Add_to_Xero": True})
        unticked = w.crm.create("Accounts", {"Account_Name": "Not Yet Ltd"})
        beta = w.crm.create("Accounts", {"Account_Name": "Beta Co", "Add_to_Xero": True})
        existing = w.xero.add_contact(Name="  beta   CO ")

        fetched = w.fetch("accounts")
        assert fetched.counts.by_flow["accounts"]["crm"] == {"linked": 1}
        # The existing contact is linked by its normalised name, not created again.
        assert w.partner("accounts", beta["id"]) == existing["ContactID"]

        first = w.sync("accounts")
        assert first.failures == []
        assert first.counts.by_flow["accounts"]["crm"]["created"] == 1
        created_id = w.partner("accounts", acme["id"])
        assert created_id is not None
        contact = w.xero.get("contacts", created_id)
        assert contact is not None
        assert contact["Name"] == "Acme Ltd"
        # ContactNumber carries the CRM id, the CRM keeps the Xero ID.
        assert contact["ContactNumber"] == acme["id"]
        assert w.crm_record("Accounts", acme["id"])["Xero_ID"] == created_id
        # Not ticked "Add to Xero": left alone.
        assert w.partner("accounts", unticked["id"]) is None
        assert w.xero.count("contacts") == 2

        second = w.sync("accounts")
        assert second.failures == []
        assert "created" not in second.counts.by_flow["accounts"]["crm"]
        assert w.xero.count("contacts") == 2


def test_a_name_clash_is_reported_not_guessed(store: Store) -> None:
    """Two CRM accounts whose names Xero takes for one: the second fails and names the first."""
    with zoho_xero(store) as w:
        first = w.crm.create("Accounts", {"Account_Name": "Gamma", "Add_to_Xero": True})
        second = w.crm.create("Accounts", {"Account_Name": "GAMMA ", "Add_to_Xero": True})

        for _ in range(2):
            run = w.sync("accounts")
            taken = w.partner("accounts", first["id"])
            assert taken is not None
            item = outcome(run, Side.CRM, second["id"])
            assert item.outcome is Outcome.FAILED
            assert "name GAMMA is already assigned to another contact" in item.reason
            assert item.partner_id == taken
            assert item.detail == {"code": "duplicate", "field": "Name"}
            assert w.partner("accounts", second["id"]) is None
            assert w.xero.count("contacts") == 1


def test_a_name_changed_in_xero_comes_back_to_the_crm(store: Store) -> None:
    with zoho_xero(store) as w:
        acme = w.crm.create("Accounts", {"Account_Name": "Acme Ltd", "Add_to_Xero": True})
        w.sync("accounts")
        contact_id = w.partner("accounts", acme["id"])
        assert contact_id is not None
        w.xero.edit_contact(contact_id, Name="Acme Limited")

        run = w.sync("accounts")
        assert run.failures == []
        assert w.crm_record("Accounts", acme["id"])["Account_Name"] == "Acme Limited"
        assert w.xero.count("contacts") == 1


def test_products_need_a_code_and_a_tax_xero_knows(store: Store) -> None:
    with zoho_xero(store) as w:
        widget = w.crm.create(
            "Products",
            {
                "Product_Name": "Widget",
                "Product_Code": "W-1",
                "Add_to_Xero": True,
                "Taxable": True,
                "Tax": "GST",
                "Unit_Price": 10,
            },
        )
        no_code = w.crm.create(
            "Products",
            {"Product_Name": "Nameless code", "Add_to_Xero": True, "Taxable": True, "Tax": "GST"},
        )
        vat = w.crm.create(
            "Products",
            {
                "Product_Name": "Imported",
                "Product_Code": "IMP-1",
                "Add_to_Xero": True,
                "Taxable": True,
                "Tax": "VAT",
            },
        )
        untaxed = w.crm.create(
            "Products",
            {"Product_Name": "Free", "Product_Code": "F-1", "Add_to_Xero": True, "Tax": "GST"},
        )
        linked = w.crm.create(
            "Products",
            {
                "Product_Name": "Gadget",
                "Product_Code": " G-1 ",
                "Add_to_Xero": True,
                "Taxable": True,
                "Tax": "Exempt",
            },
        )
        item = w.xero.add_item(Code="G-1", Name="Gadget (Xero)")

        assert w.fetch("products").counts.by_flow["products"]["crm"] == {"linked": 1}
        assert w.partner("products", linked["id"]) == item["ItemID"]

        run = w.sync("products")
        assert "Product has no Product_Code" in outcome(run, Side.CRM, no_code["id"]).reason
        # The recipe's names first, then the organisation's own tax rates by name.
        assert "pick one of GST, Exempt, GST on Income," in outcome(run, Side.CRM, vat["id"]).reason
        assert "not marked Taxable" in outcome(run, Side.CRM, untaxed["id"]).reason
        assert {i.record_id for i in run.failures} == {no_code["id"], vat["id"], untaxed["id"]}

        widget_id = w.partner("products", widget["id"])
        assert widget_id is not None
        created = w.xero.get("items", widget_id)
        assert created is not None
        assert created["Code"] == "W-1"
        assert created["SalesDetails"]["TaxType"] == "OUTPUT"
        assert created["SalesDetails"]["AccountCode"] == "200"
        assert created["SalesDetails"]["UnitPrice"] == 10
        assert w.crm_record("Products", widget["id"])["Xero_ID"] == widget_id
        # Fetch links what is there and writes nothing: the linked item keeps its own values.
        gadget = w.xero.get("items", item["ItemID"])
        assert gadget is not None
        assert gadget["Name"] == "Gadget (Xero)"
        assert w.xero.count("items") == 2

        again = w.sync("products")
        assert {i.record_id for i in again.failures} == {no_code["id"], vat["id"], untaxed["id"]}
        assert "created" not in again.counts.by_flow["products"]["crm"]
        assert "updated" not in again.counts.by_flow["products"]["crm"]
        assert w.xero.count("items") == 2


def test_lookalike_names_stay_two_contacts(store: Store) -> None:
    with zoho_xero(store) as w:
        plain = w.crm.create("Accounts", {"Account_Name": "Acme Ltd", "Add_to_Xero": True})
        dotted = w.crm.create("Accounts", {"Account_Name": "Acme Ltd.", "Add_to_Xero": True})

        run = w.sync("accounts")
        assert run.failures == []
        ids = {w.partner("accounts", plain["id"]), w.partner("accounts", dotted["id"])}
        assert None not in ids
        assert len(ids) == 2
        assert w.xero.count("contacts") == 2


def test_codes_equal_once_trimmed_sync_one_and_fail_the_other(store: Store) -> None:
    with zoho_xero(store) as w:
        fields = {"Add_to_Xero": True, "Taxable": True, "Tax": "GST", "Unit_Price": 3}
        one = w.crm.create("Products", {"Product_Name": "Bolt", "Product_Code": "C-1", **fields})
        two = w.crm.create(
            "Products", {"Product_Name": "Bolt (old)", "Product_Code": " C-1 ", **fields}
        )

        for _ in range(2):
            run = w.sync("products")
            bound = [p for p in (one, two) if w.partner("products", p["id"]) is not None]
            assert len(bound) == 1
            (failed,) = run.failures
            assert failed.record_id in {one["id"], two["id"]} - {bound[0]["id"]}
            assert "C-1" in failed.reason
            assert w.xero.count("items") == 1


def test_a_tax_the_organisation_lacks_fails_until_xero_has_a_rate_of_that_name(
    store: Store,
) -> None:
    with zoho_xero(store) as w:
        product = w.crm.create(
            "Products",
            {
                "Product_Name": "Euro Widget",
                "Product_Code": "EW-1",
                "Add_to_Xero": True,
                "Taxable": True,
                "Tax": "VAT",
                "Unit_Price": 20,
            },
        )
        first = w.sync()
        item = outcome(first, Side.CRM, product["id"])
        assert item.outcome is Outcome.FAILED
        # The allowed taxes are read from the organisation: its rates' names are offered.
        assert "pick one of" in item.reason
        assert "GST on Income" in item.reason
        assert w.xero.count("items") == 0

        tax_type = w.xero.add_tax_rate("VAT", 20.0)
        second = w.sync()
        assert second.failures == []
        code = w.partner("products", product["id"])
        assert code is not None
        made = w.xero.get("items", code)
        assert made is not None
        assert made["SalesDetails"]["TaxType"] == tax_type


def test_an_item_keeps_its_price_when_the_crm_changes_its_tax(store: Store) -> None:
    # Xero replaces an item's SalesDetails with what is sent: a tax change alone would
    # otherwise wipe the price the item sells at.
    with zoho_xero(store) as w:
        item = w.xero.add_item(
            Code="P-1", Name="Pump", SalesDetails={"UnitPrice": 250, "AccountCode": "200"}
        )
        product = w.crm.create(
            "Products",
            {
                "Product_Name": "Pump",
                "Product_Code": "P-1",
                "Add_to_Xero": True,
                "Taxable": True,
                "Tax": "GST",
                "Unit_Price": 250,
            },
        )

        first = w.sync("products")
        assert first.failures == []
        assert w.partner("products", product["id"]) == item["ItemID"]
        linked = w.xero.get("items", item["ItemID"])
        assert linked is not None
        assert linked["SalesDetails"] == {
            "UnitPrice": 250,
            "AccountCode": "200",
            "TaxType": "OUTPUT",
        }

        w.crm.edit("Products", product["id"], {"Tax": "Exempt"})
        second = w.sync("products")
        assert second.failures == []
        changed = w.xero.get("items", item["ItemID"])
        assert changed is not None
        assert changed["SalesDetails"] == {
            "UnitPrice": 250,
            "AccountCode": "200",
            "TaxType": "EXEMPTOUTPUT",
        }


def test_a_product_made_from_a_xero_item_carries_its_xero_id(store: Store) -> None:
    with zoho_xero(store) as w:
        item = w.xero.add_item(
            Code="X-9", Name="Xero-made", SalesDetails={"UnitPrice": 12, "AccountCode": "200"}
        )

        run = w.sync("products")

        assert run.counts.by_flow["products"]["books"] == {"created": 1}
        (product,) = [p for p in w.crm.all("Products") if p.get("Product_Code") == "X-9"]
        assert product["Xero_ID"] == item["ItemID"]
        assert product["Unit_Price"] == 12
        again = w.sync("products")
        assert "updated" not in again.counts.by_flow["products"].get("crm", {})
