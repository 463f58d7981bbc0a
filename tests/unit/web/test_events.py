"""Webhook payloads mapped to the flows that read the changed module."""

from __future__ import annotations

import json

import pytest

from ledgerbridge.domain.config import Direction, FieldRule, FlowConfig
from ledgerbridge.domain.records import Side
from ledgerbridge.jobs.dispatch import RecordChange
from ledgerbridge.web.events import ZohoNotification, xero_intake, zoho_intake


def flow(name: str, crm: str, books: str, **options: object) -> FlowConfig:
    return FlowConfig.model_validate(
        {
            "name": name,
            "crm_module": crm,
            "books_module": books,
            "fields": [FieldRule(crm="Name", books="Name")],
            **options,
        }
    )


FLOWS = (
    flow("accounts", "Accounts", "Contacts"),
    flow("vendors", "Vendors", "Contacts", direction=Direction.CRM_TO_BOOKS),
    flow("invoices", "Invoices", "Invoices", direction=Direction.BOOKS_TO_CRM),
    flow("products", "Products", "Items", enabled=False),
)


def test_xero_ids_go_to_each_flow_that_reads_the_module() -> None:
    intake = xero_intake(FLOWS, {"Contacts": ["c1", "c2"], "Invoices": ["i1"], "Items": ["x"]})
    assert intake.changes == (
        RecordChange("accounts", Side.BOOKS, "c1"),
        RecordChange("accounts", Side.BOOKS, "c2"),
        RecordChange("invoices", Side.BOOKS, "i1"),
    )
    assert intake.ignored == ("Items",)  # its only flow is disabled


def note(operation: str, module: str = "Accounts", ids: tuple[str, ...] = ("1", "2")) -> bytes:
    body = {"module": module, "ids": list(ids), "operation": operation, "token": "t"}
    return json.dumps({**body, "channel_id": 7, "server_time": 1, "query_params": {}}).encode()


@pytest.mark.parametrize("operation", ["insert", "update"])
def test_zoho_inserts_and_updates_sync_the_records(operation: str) -> None:
    intake = zoho_intake(FLOWS, ZohoNotification.parse(note(operation)))
    assert intake.changes == (
        RecordChange("accounts", Side.CRM, "1"),
        RecordChange("accounts", Side.CRM, "2"),
    )


def test_zoho_deletes_are_reported_not_synced() -> None:
    intake = zoho_intake(FLOWS, ZohoNotification.parse(note("delete")))
    assert intake.changes == ()
    assert intake.deleted == ("1", "2")


def test_a_module_no_flow_reads_from_the_crm_is_ignored() -> None:
    intake = zoho_intake(FLOWS, ZohoNotification.parse(note("update", module="Invoices")))
    assert intake.changes == ()
    assert intake.ignored == ("Invoices.update",)
    vendors = zoho_intake(FLOWS, ZohoNotification.parse(note("insert", module="vendors")))
    assert vendors.changes == (
        RecordChange("vendors", Side.CRM, "1"),
        RecordChange("vendors", Side.CRM, "2"),
    )


def test_a_body_that_is_not_a_notification_is_refused() -> None:
    with pytest.raises(ValueError, match="not a Zoho CRM notification"):
        ZohoNotification.parse(b'{"ids": []}')


def test_numeric_ids_are_read_as_text() -> None:
    body = json.dumps({"module": "Accounts", "ids": [6051205000000123001], "operation": "update"})
    assert ZohoNotification.parse(body.encode()).ids == ("6051205000000123001",)
