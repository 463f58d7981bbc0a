"""Organisation and field metadata, and notification channels."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.contract.connectors.subjects.zoho_crm import CrmWorld, crm_world


def test_describe_reads_currency_modules_and_custom_fields(world: CrmWorld) -> None:
    world.state.add_custom_field("Contacts", "Loyalty_Tier", "picklist", pick_list=("Gold",))
    world.state.set_multi_currency(True, "EUR")
    org = world.crm.describe()
    assert (org.base_currency, org.multi_currency) == ("EUR", True)
    assert [m.name for m in org.modules] == ["Accounts", "Contacts", "Products"]
    contacts = next(m for m in org.modules if m.name == "Contacts")
    fields = {f.name: f for f in contacts.fields}
    assert fields["Loyalty_Tier"].custom and fields["Loyalty_Tier"].picklist == ("Gold",)
    assert fields["Last_Name"].required and not fields["Last_Name"].custom
    assert fields["Account_Name"].type == "lookup"
    assert fields["Account_Name"].lookup_module == "Accounts"
    assert fields["Modified_Time"].read_only
    calls = world.calls()
    world.crm.describe()
    assert world.calls() == calls  # cached


def test_modules_lists_what_the_api_supports(world: CrmWorld) -> None:
    names = {m.api_name: m for m in world.crm.modules()}
    assert {"Accounts", "Contacts", "Invoices", "Purchase_Orders"} <= set(names)
    assert names["Accounts"].display_field == "Account_Name"


@pytest.fixture
def raw_world() -> Iterator[CrmWorld]:
    # The v8 spec pins notify_url to a pattern no real address matches and types channel_id
    # as an object, so channel calls go around the spec check.
    with crm_world(validate=False) as world:
        yield world


def test_watch_renew_list_and_unwatch_a_channel(raw_world: CrmWorld) -> None:
    world = raw_world
    conn = world.crm
    until = world.clock.now() + timedelta(days=6)
    answer = conn.watch(
        "1000000068001", ["Contacts.all"], "https://hooks.example/zoho", "tok", until
    )
    assert answer.ok and answer.expiry == until.replace(microsecond=0)
    [listed] = conn.channels()
    assert (listed.channel_id, listed.events, listed.token) == (
        "1000000068001",
        ("Contacts.all",),
        "tok",
    )
    later = world.clock.now() + timedelta(days=7)
    renewed = conn.renew(
        "1000000068001",
        ["Contacts.all", "Accounts.all"],
        "https://hooks.example/zoho",
        "tok",
        later,
    )
    assert renewed.ok and renewed.expiry == later.replace(microsecond=0)
    assert conn.channels()[0].events == ("Contacts.all", "Accounts.all")
    [gone] = conn.unwatch(["1000000068001"])
    assert gone.ok and gone.channel_id == "1000000068001"
    assert conn.channels() == []


def test_a_channel_past_a_week_is_refused_with_zohos_reason(raw_world: CrmWorld) -> None:
    conn = raw_world.crm
    too_late = raw_world.clock.now() + timedelta(days=8)
    answer = conn.watch(
        "1000000068002", ["Contacts.all"], "https://hooks.example/z", None, too_late
    )
    assert not answer.ok and "channel_expiry" in answer.message
