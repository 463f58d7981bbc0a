"""Lookups between flows: dependencies first, on demand when unbound, and write-backs."""

from __future__ import annotations

from ledgerbridge.domain.config import WriteBack
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunStatus
from ledgerbridge.engine.model import SyncRequest
from tests.integration.engine.conftest import BuildWorld
from tests.support.flows import one_flow, people_flow
from tests.support.world import World


def _invoice_world(w: World) -> tuple[str, str, str]:
    acme = w.crm.put("Accounts", {"Account_Name": "Acme", "Email": "a@acme.test"})
    widget = w.crm.put(
        "Products",
        {"Product_Name": "Widget", "Product_Code": "W-1", "Unit_Price": 9.5, "Tax": "VAT 20%"},
    )
    inv = w.crm.put(
        "Invoices",
        {
            "Invoice_Number": "INV-1",
            "Subject": "first",
            "Account_Name": {"id": acme.id},
            "Invoiced_Items": [
                {
                    "Product_Name": {"id": widget.id},
                    "Quantity": 2,
                    "List_Price": 9.5,
                    "Description": "two widgets",
                }
            ],
        },
    )
    return acme.id, widget.id, inv.id


def test_flows_run_in_dependency_order_so_no_lookup_waits(build: BuildWorld) -> None:
    w = build()
    acme_id, widget_id, inv_id = _invoice_world(w)

    report = w.sync()

    assert report.status is RunStatus.SUCCEEDED
    assert list(report.counts.as_dict()) == ["accounts", "products", "invoices"]
    # Accounts and products were bound before invoices ran: nothing was fetched on demand.
    assert w.crm.calls["get_many"] == 0
    invoice = w.partner("invoices", Side.CRM, inv_id)
    contact = w.partner("accounts", Side.CRM, acme_id)
    item = w.partner("products", Side.CRM, widget_id)
    assert invoice is not None
    assert contact is not None
    assert item is not None
    assert invoice.fields["Contact"] == {"ContactID": contact.id}
    assert invoice.fields["Type"] == "ACCREC"
    assert invoice.fields["LineItems"] == [
        {"ItemCode": "W-1", "Quantity": 2, "UnitAmount": 9.5, "Description": "two widgets"}
    ]
    assert item.fields["SalesDetails"] == {"UnitPrice": 9.5, "TaxType": "OUTPUT2"}
    assert w.mismatches("invoices") == []


def test_an_invoice_whose_account_is_unbound_gets_its_account_synced_first(
    build: BuildWorld,
) -> None:
    w = build()
    acme_id, widget_id, inv_id = _invoice_world(w)

    report = w.sync(SyncRequest(flows=("invoices",)))

    assert report.status is RunStatus.SUCCEEDED
    assert report.counts.as_dict()["invoices"]["crm"] == {"created": 1}
    assert report.counts.as_dict()["accounts"]["crm"] == {"created": 1}
    assert report.counts.as_dict()["products"]["crm"] == {"created": 1}
    contact = w.partner("accounts", Side.CRM, acme_id)
    invoice = w.partner("invoices", Side.CRM, inv_id)
    assert contact is not None
    assert invoice is not None
    assert invoice.fields["Contact"] == {"ContactID": contact.id}
    assert invoice.fields["LineItems"][0]["ItemCode"] == "W-1"
    assert w.partner("products", Side.CRM, widget_id) is not None
    assert w.sizes("accounts") == (1, 1)

    # The accounts flow later finds its record already bound: nothing is created twice.
    later = w.sync()
    assert later.total(Outcome.CREATED) == 0
    assert w.sizes("accounts") == (1, 1)
    assert w.sizes("products") == (1, 1)
    assert w.sizes("invoices") == (1, 1)


def test_an_invoice_whose_account_cannot_sync_fails_with_the_reason(build: BuildWorld) -> None:
    w = build()
    nameless = w.crm.put("Accounts", {"Email": "x@x.test"})
    inv = w.crm.put("Invoices", {"Invoice_Number": "INV-9", "Account_Name": {"id": nameless.id}})

    report = w.sync(SyncRequest(flows=("invoices",)))

    assert report.status is RunStatus.PARTIAL
    failed = {(i.flow, i.record_id): i for i in report.failures}
    assert failed[("accounts", nameless.id)].reason.startswith("Account has no Account_Name")
    reason = failed[("invoices", inv.id)].reason
    assert f"CRM record {nameless.id} of flow accounts" in reason
    assert "not synced yet" in reason
    assert w.books.count("Invoices") == 0

    w.crm.edit("Accounts", nameless.id, {"Account_Name": "Named"})
    fixed = w.sync()

    assert fixed.status is RunStatus.SUCCEEDED
    invoice = w.partner("invoices", Side.CRM, inv.id)
    contact = w.partner("accounts", Side.CRM, nameless.id)
    assert invoice is not None
    assert contact is not None
    assert invoice.fields["Contact"] == {"ContactID": contact.id}
    assert w.store.pending.count(w.integration.id) == 0


def test_a_books_invoice_refers_back_to_the_crm_account(build: BuildWorld) -> None:
    w = build()
    contact = w.books.put("Contacts", {"Name": "Initech"})
    inv = w.books.put(
        "Invoices",
        {
            "InvoiceNumber": "B-1",
            "Reference": "from books",
            "Contact": {"ContactID": contact.id},
            "Status": "AUTHORISED",
        },
    )

    report = w.sync()

    assert report.status is RunStatus.SUCCEEDED
    account = w.partner("accounts", Side.BOOKS, contact.id)
    invoice = w.partner("invoices", Side.BOOKS, inv.id)
    assert account is not None
    assert invoice is not None
    assert invoice.fields["Account_Name"] == {"id": account.id}
    assert invoice.fields["Status"] == "Approved"
    assert invoice.fields["Subject"] == "from books"


def test_write_backs_put_the_remote_id_and_values_on_the_source(build: BuildWorld) -> None:
    flow = people_flow(
        write_back=(
            WriteBack(to=Side.CRM, field="Books_ID", source_field="@id"),
            WriteBack(to=Side.CRM, field="Books_Name", source_field="Name"),
        )
    )
    w = build(one_flow(flow))
    ann = w.crm.put("People", {"Full_Name": "Ann", "Email": "ann@x.test"})

    w.sync()

    partner = w.partner("people", Side.CRM, ann.id)
    crm = w.crm.record("People", ann.id)
    assert partner is not None
    assert crm is not None
    assert crm.fields["Books_ID"] == partner.id
    assert crm.fields["Books_Name"] == "Ann"
    # The write-back is not a mapped change: the next run sees an echo and writes nothing.
    writes = w.writes()
    assert w.sync().items == []
    assert w.writes() == writes


def test_starter_write_back_of_the_contact_id(build: BuildWorld) -> None:
    w = build()
    acme = w.crm.put("Accounts", {"Account_Name": "Acme"})

    w.sync()

    contact = w.partner("accounts", Side.CRM, acme.id)
    crm = w.crm.record("Accounts", acme.id)
    assert contact is not None
    assert crm is not None
    assert crm.fields["Books_ID"] == contact.id


def test_a_reference_to_a_record_that_does_not_exist_says_so(build: BuildWorld) -> None:
    w = build()
    acme = w.crm.put("Accounts", {"Account_Name": "Acme"})
    inv = w.crm.put(
        "Invoices",
        {
            "Invoice_Number": "INV-404",
            "Account_Name": {"id": acme.id},
            "Invoiced_Items": [{"Product_Name": {"id": "999999"}, "Quantity": 1}],
        },
    )
    report = w.sync()
    reason = {i.record_id: i.reason for i in report.failures}[inv.id]
    assert "CRM record 999999 of flow products, which does not exist" in reason
