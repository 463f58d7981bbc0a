"""Customers and vendors between Zoho CRM and Zoho Books, through the recipe's defaults."""

from __future__ import annotations

from ledgerbridge.domain.runs import Outcome, RunStatus
from ledgerbridge.recipes.zoho_books import zoho_books_config
from ledgerbridge.store import Store
from tests.e2e.zoho_books.world import books_sync_world, outcomes


def test_an_account_becomes_a_business_customer_and_a_second_run_writes_nothing(
    store: Store,
) -> None:
    with books_sync_world(store) as w:
        acme = w.crm_put("Accounts", {"Account_Name": "Acme Ltd", "Phone": "555-0100"})

        report = w.sync(["customers"])

        assert report.status is RunStatus.SUCCEEDED, report.error
        assert report.counts.as_dict()["customers"]["crm"] == {"created": 1}
        (contact,) = w.books_all("contacts")
        assert contact["contact_name"] == "Acme Ltd"
        assert contact["company_name"] == "Acme Ltd"
        assert (contact["contact_type"], contact["customer_sub_type"]) == ("customer", "business")
        assert contact["phone"] == "555-0100"
        assert w.crm("Accounts", acme)["Books_ID"] == contact["contact_id"]

        writes = w.writes()
        again = w.sync(["customers"])
        assert again.status is RunStatus.SUCCEEDED
        assert again.total(Outcome.CREATED) == again.total(Outcome.UPDATED) == 0
        assert w.writes() == writes
        assert len(w.books_all("contacts")) == 1


def test_fetch_links_a_customer_by_display_name_and_the_sync_creates_no_duplicate(
    store: Store,
) -> None:
    with books_sync_world(store) as w:
        acme = w.crm_put("Accounts", {"Account_Name": "Acme  Ltd"})
        existing = w.books_contact(
            {
                "contact_name": "acme ltd",
                "contact_type": "customer",
                "customer_sub_type": "business",
            }
        )

        fetched = w.fetch(["customers"])

        assert fetched.total(Outcome.LINKED) == 1
        (binding,) = w.bindings("customers")
        assert (binding.crm_id, binding.books_id) == (acme, existing)

        w.sync(["customers"])
        assert [c["contact_id"] for c in w.books_all("contacts")] == [existing]


def test_a_customer_made_in_books_reaches_the_crm_and_a_vendor_stays_out_of_accounts(
    store: Store,
) -> None:
    with books_sync_world(store) as w:
        w.books_contact(
            {
                "contact_name": "Globex",
                "contact_type": "customer",
                "customer_sub_type": "business",
                "phone": "555-0199",
            }
        )
        w.books_contact({"contact_name": "Paper Supplies Inc", "contact_type": "vendor"})

        report = w.sync(["customers", "vendors"])

        assert report.status is RunStatus.SUCCEEDED, report.error
        counts = report.counts.as_dict()
        assert counts["vendors"]["books"] == {"created": 1}
        # The new account also gets its figures (receivables, sales) from Books: an update.
        assert counts["customers"]["books"] == {"created": 1, "updated": 1}
        (account,) = w.crm_state.all("Accounts")
        assert (account["Account_Name"], account["Phone"]) == ("Globex", "555-0199")
        (vendor,) = w.crm_state.all("Vendors")
        assert vendor["Vendor_Name"] == "Paper Supplies Inc"


def test_a_crm_vendor_becomes_a_books_vendor(store: Store) -> None:
    with books_sync_world(store) as w:
        w.crm_put("Vendors", {"Vendor_Name": "Paper Supplies Inc", "Email": "ap@paper.test"})

        w.sync(["vendors"])

        (contact,) = w.books_all("contacts")
        assert (contact["contact_name"], contact["contact_type"]) == (
            "Paper Supplies Inc",
            "vendor",
        )
        assert contact["email"] == "ap@paper.test"


def test_a_contact_without_email_fails_with_its_reason_and_the_others_go_on(
    store: Store,
) -> None:
    base = zoho_books_config("zb")
    config = base.model_copy(
        update={
            "flows": tuple(
                f.model_copy(update={"enabled": True}) if f.name == "individuals" else f
                for f in base.flows
            )
        }
    )
    with books_sync_world(store, config) as w:
        w.crm_put("Contacts", {"First_Name": "Ann", "Last_Name": "Lee", "Email": "ann@lee.test"})
        w.crm_put("Contacts", {"First_Name": "Bo", "Last_Name": "Nomail"})

        report = w.sync(["individuals"])

        assert report.status is RunStatus.PARTIAL
        (failed,) = report.failures
        assert "Contact has no Email" in failed.reason
        (person,) = w.books_all("contacts")
        assert person["contact_name"] == "Ann Lee"
        assert (person["contact_type"], person["customer_sub_type"]) == ("customer", "individual")


def test_a_deleted_counterpart_is_reported_and_never_recreated(store: Store) -> None:
    with books_sync_world(store) as w:
        acme = w.crm_put("Accounts", {"Account_Name": "Acme Ltd"})
        w.sync(["customers"])
        (contact,) = w.books_all("contacts")
        w.books_state.delete_contact(w.org_id, contact["contact_id"])

        w.crm_state.edit("Accounts", acme, {"Phone": "555-0142"})
        report = w.sync(["customers"])

        outcome, reason = outcomes(report)["Acme Ltd"]
        assert outcome is Outcome.SKIPPED
        assert f"its accounting partner {contact['contact_id']} was deleted" in reason
        assert "it is not recreated" in reason
        assert report.total(Outcome.CREATED) == 0
        assert w.books_all("contacts") == []


def test_a_books_vendor_named_like_a_crm_account_is_not_turned_into_a_customer(
    store: Store,
) -> None:
    with books_sync_world(store) as w:
        w.crm_put("Accounts", {"Account_Name": "Acme Ltd"})
        vendor = w.books_contact({"contact_name": "Acme Ltd", "contact_type": "vendor"})

        w.fetch(["customers"])
        assert w.bindings("customers") == []
        report = w.sync(["customers"])

        # The vendor stays a vendor. Books keeps display names unique, so the account fails with
        # Books' own reason (rename one of them) instead of taking over the vendor.
        contacts = {c["contact_id"]: c for c in w.books_all("contacts")}
        assert contacts[vendor]["contact_type"] == "vendor"
        assert w.bindings("customers") == []
        assert report.status is RunStatus.PARTIAL
        (failure,) = report.failures
        assert 'The customer "Acme Ltd" already exists' in failure.reason
