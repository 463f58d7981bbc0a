"""The URL printed for a Zoho CRM custom button."""

from __future__ import annotations

from ledgerbridge.web.button import button_url, merge_field


def test_the_url_carries_the_record_merge_field_and_the_quoted_key() -> None:
    url = button_url("https://sync.example.com/", "acme books", "accounts", "Accounts", "k/1+")
    assert url == (
        "https://sync.example.com/sync/acme%20books/accounts/${Accounts.Account Id}?key=k%2F1%2B"
    )


def test_merge_fields_per_module() -> None:
    assert merge_field("Purchase_Orders") == "${Purchase_Orders.Purchase Order Id}"
    assert merge_field("Custom_Module") == "${Custom_Module.Id}"
