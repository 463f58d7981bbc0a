"""The recipe's rules against both emulators: options, views, currencies, organisations,
archiving, receivables and Zoho ERP."""

from __future__ import annotations

import pytest

from ledgerbridge.domain.config import ViewFilter
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunStatus
from ledgerbridge.engine.model import SyncRequest, Systems
from ledgerbridge.recipes.zoho_books import zoho_books_config
from ledgerbridge.sandbox.zoho_crm.conditions import Comparison, Group
from ledgerbridge.store import Store
from tests.e2e.zoho_books.world import BooksSyncWorld, books_sync_world, outcomes


def test_customers_as_contacts_sync_people_both_ways_and_leave_accounts_alone(
    store: Store,
) -> None:
    config = zoho_books_config("zb", options={"customers": "contacts"})
    with books_sync_world(store, config) as w:
        w.crm_put("Accounts", {"Account_Name": "Acme Ltd"})
        ann = w.crm_put("Contacts", {"First_Name": "Ann", "Last_Name": "Lee", "Email": "a@x.test"})
        w.books_contact(
            {
                "contact_name": "Raj Patel",
                "first_name": "Raj",
                "last_name": "Patel",
                "email": "raj@x.test",
                "contact_type": "customer",
                "customer_sub_type": "individual",
            }
        )

        report = w.sync()

        assert report.status is RunStatus.SUCCEEDED, report.error
        names = sorted(c["contact_name"] for c in w.books_all("contacts"))
        assert names == ["Ann Lee", "Raj Patel"]  # no business customer for Acme
        (raj,) = [c for c in w.crm_state.all("Contacts") if c.get("Email") == "raj@x.test"]
        assert (raj["First_Name"], raj["Last_Name"]) == ("Raj", "Patel")
        assert w.crm("Contacts", ann)["Books_ID"]
        assert len(w.crm_state.all("Accounts")) == 1


def test_skip_reports_a_customer_found_by_name_and_touches_neither(store: Store) -> None:
    config = zoho_books_config("zb", options={"customer_duplicates": "skip"})
    with books_sync_world(store, config) as w:
        w.crm_put("Accounts", {"Account_Name": "Acme Ltd", "Phone": "555-0100"})
        books = w.books_contact(
            {"contact_name": "ACME ltd", "contact_type": "customer", "phone": "555-0199"}
        )

        report = w.sync(["customers"])

        outcome, reason = outcomes(report)["Acme Ltd"]
        assert outcome is Outcome.SKIPPED
        assert books in reason
        assert w.bindings("customers") == []
        (contact,) = w.books_all("contacts")
        assert contact["phone"] == "555-0199"
        assert len(w.crm_state.all("Accounts")) == 1


def test_crm_only_extent_never_brings_books_customers_to_the_crm(store: Store) -> None:
    config = zoho_books_config("zb", options={"customer_extent": "crm_only"})
    with books_sync_world(store, config) as w:
        w.crm_put("Accounts", {"Account_Name": "Acme Ltd"})
        w.books_contact({"contact_name": "Globex", "contact_type": "customer"})

        w.sync(["customers"])

        assert [a["Account_Name"] for a in w.crm_state.all("Accounts")] == ["Acme Ltd"]
        assert sorted(c["contact_name"] for c in w.books_all("contacts")) == ["Acme Ltd", "Globex"]


def test_sku_matching_overwrites_the_item_with_the_products_values(store: Store) -> None:
    config = zoho_books_config("zb", options={"item_match": "sku", "item_extent": "crm_only"})
    with books_sync_world(store, config) as w:
        product = w.crm_put(
            "Products", {"Product_Name": "Widget Pro", "Product_Code": " W-1 ", "Unit_Price": 9}
        )
        item = w.books_item({"name": "Widget (old name)", "sku": "W-1", "rate": 5})

        w.sync(["items"])

        (only,) = w.books_all("items")
        assert (only["item_id"], only["name"], only["rate"]) == (item, "Widget Pro", 9)
        assert w.crm("Products", product)["Books_ID"] == item


def test_a_crm_custom_view_limits_the_flow_and_an_edit_of_the_view_applies(
    store: Store,
) -> None:
    with books_sync_world(store) as w:
        view = w.crm_state.define_view(
            "Accounts",
            "Customers not on hold",
            [("Account_Type", "equals", "Customer"), ("Description", "is_null", None)],
        )
        base = zoho_books_config("zb", options={"customer_extent": "crm_only"})
        flows = tuple(
            f.model_copy(
                update={
                    "views": (
                        *f.views,
                        *([] if f.name != "customers" else [_crm_view(view.id)]),
                    )
                }
            )
            for f in base.flows
        )
        w.integration = store.integrations.replace(base.model_copy(update={"flows": flows}))
        w.crm_put("Accounts", {"Account_Name": "In View", "Account_Type": "Customer"})
        w.crm_put("Accounts", {"Account_Name": "Partner Co", "Account_Type": "Partner"})
        w.crm_put(
            "Accounts",
            {"Account_Name": "On Hold", "Account_Type": "Customer", "Description": "hold"},
        )
        # A Books customer of the same name as an account outside the view is no match.
        w.books_contact({"contact_name": "Partner Co", "contact_type": "customer"})

        report = w.sync(["customers"])

        assert report.status is RunStatus.SUCCEEDED, report.error
        names = sorted(c["contact_name"] for c in w.books_all("contacts"))
        assert names == ["In View", "Partner Co"]
        assert [b for b in w.bindings("customers") if b.books_id == _id(w, "Partner Co")] == []

        # The view now takes partners too: the next run holds records to the new criteria.
        view.node = Group(
            "and",
            (
                Comparison("Account_Type", "in", ("Customer", "Partner")),
                Comparison("Description", "is_null", ()),
            ),
        )
        w.crm_state.edit("Accounts", _crm_id(w, "Partner Co"), {"Phone": "1"})
        w.sync(["customers"])
        partner = _id(w, "Partner Co")
        assert [b.books_id for b in w.bindings("customers")].count(partner) == 1
        assert len(w.books_all("contacts")) == 2


def _crm_view(view_id: str) -> ViewFilter:
    return ViewFilter(side=Side.CRM, custom_view_id=view_id)


def _id(w: BooksSyncWorld, name: str) -> str:
    return next(str(c["contact_id"]) for c in w.books_all("contacts") if c["contact_name"] == name)


def _crm_id(w: BooksSyncWorld, name: str) -> str:
    return next(str(a["id"]) for a in w.crm_state.all("Accounts") if a["Account_Name"] == name)


def test_a_multi_currency_crm_with_another_base_currency_refuses_to_start(
    store: Store,
) -> None:
    with books_sync_world(store) as w:
        w.crm_state.set_multi_currency(True, "EUR")
        w.crm_put("Accounts", {"Account_Name": "Acme Ltd"})

        with pytest.raises(ConfigError, match=r"base currency EUR.*base currency USD"):
            w.sync()
        with pytest.raises(ConfigError, match="base currencies must match"):
            w.fetch()
        assert w.books_all("contacts") == []

        w.crm_state.set_multi_currency(True, "USD")
        assert w.sync(["customers"]).status is RunStatus.SUCCEEDED
        assert len(w.books_all("contacts")) == 1


def test_a_second_organisation_receives_crm_records_only_with_its_own_id_field(
    store: Store,
) -> None:
    with books_sync_world(store) as w:
        assert w.books_for is not None
        w.crm_state.add_custom_field("Accounts", "Books_ID_2")
        acme = w.crm_put("Accounts", {"Account_Name": "Acme Ltd"})
        w.sync(["customers"])
        first_id = w.crm("Accounts", acme)["Books_ID"]

        org2 = str(w.books_state.add_organization("Second Org")["organization_id"])
        store.connections.add("books2", "zoho_books", {}, {})
        second = zoho_books_config("zb2", books_connection="books2", options={"organization": "2"})
        row = store.integrations.create(second)
        systems = Systems(w.systems.crm, w.books_for(org2))
        w.books_state.create_contact(org2, {"contact_name": "Only In Org 2"})

        report = w.engine.run(row, systems, SyncRequest(flows=("customers",)))

        assert report.status is RunStatus.SUCCEEDED, report.error
        names = sorted(
            c["contact_name"] for c in w.books_state.list_records(org2, "contacts").records
        )
        assert names == ["Acme Ltd", "Only In Org 2"]
        account = w.crm("Accounts", acme)
        assert account["Books_ID"] == first_id  # the first organisation's id is kept
        assert account["Books_ID_2"] not in (None, first_id)
        assert [a["Account_Name"] for a in w.crm_state.all("Accounts")] == ["Acme Ltd"]

        # A two-way flow on the second organisation is refused with the reason.
        both = zoho_books_config("zb3", books_connection="books2")
        refused = store.integrations.create(both)
        with pytest.raises(ConfigError, match="only the first may write to the CRM"):
            w.engine.run(refused, systems, SyncRequest(flows=("customers",)))


def test_archiving_marks_the_books_customer_inactive_when_the_account_is_deleted(
    store: Store,
) -> None:
    config = zoho_books_config("zb", options={"archive": "yes"})
    with books_sync_world(store, config) as w:
        acme = w.crm_put("Accounts", {"Account_Name": "Acme Ltd"})
        keep = w.crm_put("Accounts", {"Account_Name": "Globex"})
        w.sync(["customers"])

        w.crm_state.delete("Accounts", acme)
        report = w.sync(["customers"])

        assert report.status is RunStatus.SUCCEEDED, report.error
        status = {c["contact_name"]: c["status"] for c in w.books_all("contacts")}
        assert status == {"Acme Ltd": "inactive", "Globex": "active"}
        assert w.crm("Accounts", keep)["Books_ID"]
        assert len(w.books_all("contacts")) == 2  # kept, never deleted or recreated


def test_receivables_and_total_sales_reach_the_crm_account(store: Store) -> None:
    with books_sync_world(store) as w:
        acme = w.crm_put("Accounts", {"Account_Name": "Acme Ltd"})
        w.sync(["customers"])
        contact_id = w.crm("Accounts", acme)["Books_ID"]
        invoice = w.books_state.create_invoice(
            w.org_id,
            {
                "customer_id": contact_id,
                "line_items": [{"name": "Work", "rate": 100, "quantity": 3}],
            },
        )
        w.books_state.mark_invoice_sent(w.org_id, invoice["invoice_id"])
        w.books_state.create_invoice(
            w.org_id,
            {
                "customer_id": contact_id,
                "line_items": [{"name": "Draft", "rate": 50, "quantity": 1}],
            },
        )

        w.sync(["customers"])

        account = w.crm("Accounts", acme)
        assert (account["Outstanding_Receivables"], account["Total_Sales"]) == (300, 300)
        writes = w.writes()
        again = w.sync(["customers"])
        assert again.total(Outcome.UPDATED) == 0
        assert w.writes()["zoho_crm"] - writes["zoho_crm"] == 0


def test_zoho_erp_serves_the_same_flows_under_its_own_path(store: Store) -> None:
    with books_sync_world(store, product="erp") as w:
        w.crm_put("Accounts", {"Account_Name": "Acme Ltd"})
        w.books_item({"name": "Widget", "sku": "W-1", "rate": 3})

        fetched = w.fetch()
        report = w.sync()

        assert fetched.status is RunStatus.SUCCEEDED
        assert report.status is RunStatus.SUCCEEDED, report.error
        assert [c["contact_name"] for c in w.books_all("contacts")] == ["Acme Ltd"]
        assert [p["Product_Name"] for p in w.crm_state.all("Products")] == ["Widget"]
        assert w.ledger.total("zoho_books") > 0
        paths = {e.path_template for e in w.ledger.entries() if e.system == "zoho_books"}
        assert all(p.startswith("/erp/v3/") for p in paths if "/v3/" in p), paths
