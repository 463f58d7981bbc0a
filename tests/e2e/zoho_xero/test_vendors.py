"""Vendors of the Zoho CRM + Xero recipe: Xero contacts as suppliers, kept apart from accounts."""

from __future__ import annotations

from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome
from ledgerbridge.store import Store
from tests.e2e.zoho_xero.world import outcome, zoho_xero


def test_a_vendor_and_its_contacts_go_to_xero_and_never_come_back_as_an_account(
    store: Store,
) -> None:
    with zoho_xero(store) as w:
        vendor = w.crm.create("Vendors", {"Vendor_Name": "Supplies Inc", "Add_to_Xero": True})
        w.crm.create(
            "Contacts",
            {
                "First_Name": "Sue",
                "Last_Name": "Pply",
                "Email": "sue@supplies.test",
                "Vendor_Name": {"id": vendor["id"]},
                "Primary_Contact": True,
            },
        )
        w.crm.create(
            "Contacts",
            {
                "Last_Name": "Clerk",
                "Email": "clerk@supplies.test",
                "Vendor_Name": {"id": vendor["id"]},
            },
        )

        run = w.sync()
        assert run.failures == []
        # A vendor's contact is the vendors flow's: not reported as a contact without account.
        assert [i for i in run.items if i.flow == "contacts"] == []
        contact_id = w.partner("vendors", vendor["id"])
        assert contact_id is not None
        contact = w.xero.get("contacts", contact_id)
        assert contact is not None
        assert contact["Name"] == "Supplies Inc"
        assert contact["ContactNumber"] == vendor["id"]
        assert contact["EmailAddress"] == "sue@supplies.test"
        assert [p["EmailAddress"] for p in contact["ContactPersons"]] == ["clerk@supplies.test"]
        assert w.crm_record("Vendors", vendor["id"])["Xero_ID"] == contact_id

        # The supplier contact changes in Xero: the accounts flow reads it and leaves it alone.
        w.xero.edit_contact(contact_id, Website="https://supplies.test")
        again = w.sync()
        assert again.failures == []
        assert w.crm.count("Accounts") == 0
        assert w.partner("accounts", vendor["id"]) is None
        assert w.xero.count("contacts") == 1
        quiet = w.sync()
        for sides in quiet.counts.by_flow.values():
            for counts in sides.values():
                assert set(counts) <= {"unchanged"}, quiet.counts


def test_an_account_named_like_a_vendor_is_reported_with_a_way_out(store: Store) -> None:
    with zoho_xero(store) as w:
        w.crm.create("Vendors", {"Vendor_Name": "Twin Co", "Add_to_Xero": True})
        w.sync()
        account = w.crm.create("Accounts", {"Account_Name": "Twin Co", "Add_to_Xero": True})

        run = w.sync()
        item = outcome(run, Side.CRM, account["id"])
        assert item.outcome is Outcome.FAILED
        assert "rename one of them" in item.reason
        assert w.xero.count("contacts") == 1
        assert w.partner("accounts", account["id"]) is None


def test_with_archive_a_deleted_account_archives_its_xero_contact(store: Store) -> None:
    with zoho_xero(store, {"archive": "yes"}) as w:
        acme = w.crm.create("Accounts", {"Account_Name": "Gone Ltd", "Add_to_Xero": True})
        kept = w.crm.create("Accounts", {"Account_Name": "Kept Ltd", "Add_to_Xero": True})
        w.sync()
        gone_id = w.partner("accounts", acme["id"])
        assert gone_id is not None

        w.crm.delete("Accounts", acme["id"])
        run = w.sync()
        item = outcome(run, Side.CRM, acme["id"])
        assert item.outcome is Outcome.UPDATED
        assert "archived" in item.reason
        archived = w.xero.get("contacts", gone_id)
        assert archived is not None
        assert archived["ContactStatus"] == "ARCHIVED"
        kept_contact = w.xero.get("contacts", str(w.partner("accounts", kept["id"])))
        assert kept_contact is not None
        assert kept_contact["ContactStatus"] == "ACTIVE"
        # The archived contact is not brought back as a new account.
        again = w.sync()
        assert again.failures == []
        assert w.crm.count("Accounts") == 1


def test_without_archive_a_deleted_account_keeps_its_xero_contact(store: Store) -> None:
    with zoho_xero(store) as w:
        acme = w.crm.create("Accounts", {"Account_Name": "Gone Ltd", "Add_to_Xero": True})
        w.sync()
        contact_id = w.partner("accounts", acme["id"])
        w.crm.delete("Accounts", acme["id"])
        run = w.sync()
        item = outcome(run, Side.CRM, acme["id"])
        assert item.outcome is Outcome.SKIPPED
        assert "does not carry deletions across" in item.reason
        contact = w.xero.get("contacts", str(contact_id))
        assert contact is not None
        assert contact["ContactStatus"] == "ACTIVE"
