"""Planning records that are not bound yet: match by key, duplicate policy, create."""

from __future__ import annotations

import pytest

from ledgerbridge.domain.config import (
    Direction,
    DuplicatePolicy,
    FieldRule,
    LookupTransform,
    RequiredRule,
    ViewFilter,
)
from ledgerbridge.domain.lookups import LookupTable
from ledgerbridge.domain.mapping import FlowMap
from ledgerbridge.domain.planner import Create, Fail, Skip, Update, record_hash
from ledgerbridge.domain.records import Side

from .builders import books, crm, deleted
from .planning import FLOW, plan, plan_one, with_

ACME = crm("c1", 5, Account_Name="Acme Ltd", Email="ann@acme.test", Phone="123", Rating="Hot")


# -- create ----------------------------------------------------------------------------------


def test_no_match_creates_the_partner_with_rendered_fields() -> None:
    action = plan_one(Side.CRM, ACME)
    assert isinstance(action, Create)
    assert action.side is Side.CRM
    assert action.source is ACME
    assert action.fields == {
        "Name": "Acme Ltd",
        "EmailAddress": "ann@acme.test",
        "Phone": "123",
        "Tier": "A",
    }
    assert action.base == {
        "Account_Name": "Acme Ltd",
        "Email": "ann@acme.test",
        "Phone": "123",
        "Rating": "Hot",
    }
    assert action.source_hash == record_hash(FlowMap(FLOW), Side.CRM, ACME)
    assert action.label == "ann@acme.test"  # the first match key
    assert action.warnings == ()


def test_a_books_record_creates_a_crm_record_with_books_only_fields() -> None:
    record = books("b1", Name="Beta", EmailAddress="b@beta.test", Tier="C", Balance=12.5)
    action = plan_one(Side.BOOKS, record)
    assert isinstance(action, Create)
    assert action.fields == {
        "Account_Name": "Beta",
        "Email": "b@beta.test",
        "Phone": None,
        "Rating": "Cold",
        "Balance": 12.5,
    }


def test_a_value_the_map_does_not_know_fails_with_the_fix() -> None:
    record = crm("c1", Account_Name="Acme", Rating="Tepid")
    action = plan_one(Side.CRM, record)
    assert isinstance(action, Fail)
    assert "Rating is 'Tepid', which the value map does not know" in action.reason
    assert "add it to the map of field Rating" in action.reason
    assert action.missing is None


def test_an_unbound_reference_fails_with_the_missing_record() -> None:
    flow = with_(
        fields=[
            *FLOW.model_dump()["fields"],
            FieldRule(
                crm="Parent", books="Parent", transform=LookupTransform(flow="accounts")
            ).model_dump(),
        ]
    )
    record = crm("c2", Account_Name="Child", Parent={"id": "c1"})
    action = plan_one(Side.CRM, record, flow=flow)
    assert isinstance(action, Fail)
    assert action.missing is not None
    assert (action.missing.flow, action.missing.side, action.missing.record_id) == (
        "accounts",
        Side.CRM,
        "c1",
    )
    assert "refers to CRM record c1 of flow accounts, which is not synced yet" in action.reason
    # Once the parent is bound the child can be created.
    table = LookupTable()
    table.add("accounts", "c1", "b1", {})
    created = plan_one(Side.CRM, record, flow=flow, lookups=table)
    assert isinstance(created, Create)
    assert created.fields["Parent"] == "b1"


# -- required rules and views ----------------------------------------------------------------

RULES = (
    RequiredRule(
        side=Side.CRM,
        field="Email",
        message="Account has no Email: the accounting system would duplicate it",
    ),
    RequiredRule(
        side=Side.CRM, field="Active", check="true", skip=True, message="not active, left out"
    ),
)


def test_a_failed_required_rule_fails_the_record_with_its_message() -> None:
    record = crm("c1", Account_Name="Acme", Active=True)
    action = plan_one(Side.CRM, record, flow=with_(required=RULES))
    assert isinstance(action, Fail)
    assert action.reason == "Account has no Email: the accounting system would duplicate it"
    assert action.label == "Acme"


def test_a_failed_skip_rule_skips_the_record_and_reports_it() -> None:
    record = crm("c1", Account_Name="Acme", Email="a@acme.test", Active=False)
    action = plan_one(Side.CRM, record, flow=with_(required=RULES))
    assert isinstance(action, Skip)
    assert action.reason == "not active, left out"
    assert action.report


def test_failures_and_skips_together_fail() -> None:
    action = plan_one(Side.CRM, crm("c1", Account_Name="Acme"), flow=with_(required=RULES))
    assert isinstance(action, Fail)


def test_rules_of_the_other_side_do_not_apply() -> None:
    record = books("b1", Name="Beta")
    assert isinstance(plan_one(Side.BOOKS, record, flow=with_(required=RULES)), Create)


def test_records_outside_the_view_are_skipped_quietly() -> None:
    flow = with_(views=[ViewFilter(side=Side.CRM, equals={"Type": "Customer"})])
    action = plan_one(Side.CRM, crm("c1", Account_Name="Acme", Type="Vendor"), flow=flow)
    assert isinstance(action, Skip)
    assert not action.report
    assert not action.echo
    assert isinstance(
        plan_one(Side.CRM, crm("c1", Account_Name="Acme", Type="Customer"), flow=flow), Create
    )


def test_deleted_before_it_was_synced_is_skipped_quietly() -> None:
    action = plan_one(Side.CRM, deleted(ACME))
    assert isinstance(action, Skip)
    assert not action.report


def test_records_done_earlier_in_the_run_are_skipped() -> None:
    action = plan_one(Side.CRM, ACME, done={"c1"})
    assert isinstance(action, Skip)
    assert action.echo
    assert not action.report


# -- matching and duplicate policies ---------------------------------------------------------

PARTNER = books("b9", 1, Name="ACME LTD", EmailAddress=" Ann@Acme.TEST ", Phone="999", Tier="A")


def test_one_match_and_overwrite_links_and_writes_our_values() -> None:
    action = plan_one(Side.CRM, ACME, others=[PARTNER])
    assert isinstance(action, Update)
    assert action.binding is None
    assert action.matched_by == "EmailAddress"
    assert (action.crm, action.books) == (ACME, PARTNER)
    assert action.books_patch == {
        "Name": "Acme Ltd",
        "EmailAddress": "ann@acme.test",
        "Phone": "123",
    }
    assert action.crm_patch == {}
    assert action.base["Phone"] == "123"
    assert action.conflicts == ()


def test_linking_by_overwrite_brings_the_accounting_only_fields_into_the_crm() -> None:
    partner = books("b9", 1, Name="Acme Ltd", EmailAddress="ann@acme.test", Balance=250)
    action = plan_one(Side.CRM, ACME, others=[partner])
    assert isinstance(action, Update)
    assert action.crm_patch == {"Balance": 250}
    assert action.base["Balance"] == 250


def test_one_match_and_skip_leaves_both_alone_and_says_how_to_link() -> None:
    flow = with_(duplicate_policy=DuplicatePolicy.SKIP)
    action = plan_one(Side.CRM, ACME, flow=flow, others=[PARTNER])
    assert isinstance(action, Skip)
    assert action.report
    assert action.partner_id == "b9"
    assert "matches accounting record b9 by EmailAddress" in action.reason
    assert "choose 'overwrite' to link them or 'clone' to create another" in action.reason


def test_one_match_and_clone_creates_another() -> None:
    flow = with_(duplicate_policy=DuplicatePolicy.CLONE)
    action = plan_one(Side.CRM, ACME, flow=flow, others=[PARTNER])
    assert isinstance(action, Create)
    assert action.fields["Name"] == "Acme Ltd"


def test_a_later_match_key_is_tried_when_the_first_finds_nothing() -> None:
    partner = books("b9", Name="  acme   ltd", EmailAddress="other@acme.test")
    action = plan_one(Side.CRM, ACME, others=[partner])
    assert isinstance(action, Update)
    assert action.matched_by == "Name"


def test_two_candidates_fail_naming_them() -> None:
    twins = [books("b2", Name="Acme Ltd"), books("b1", Name="ACME LTD")]
    record = crm("c1", Account_Name="Acme Ltd")
    action = plan_one(Side.CRM, record, others=twins)
    assert isinstance(action, Fail)
    assert action.reason == (
        "2 accounting records share its Name (b1, b2); merge them or give them distinct "
        "values, then sync again"
    )


@pytest.mark.parametrize("policy", list(DuplicatePolicy))
def test_two_candidates_fail_under_every_policy(policy: DuplicatePolicy) -> None:
    twins = [books("b2", Name="Acme"), books("b1", Name="Acme")]
    action = plan_one(
        Side.CRM, crm("c1", Account_Name="Acme"), flow=with_(duplicate_policy=policy), others=twins
    )
    assert isinstance(action, Fail)


def test_deleted_and_claimed_candidates_are_not_matched() -> None:
    gone = deleted(books("b1", Name="Acme Ltd"))
    taken = books("b2", Name="Acme Ltd")
    action = plan_one(
        Side.CRM, crm("c1", Account_Name="Acme Ltd"), others=[gone, taken], claimed={"b2"}
    )
    assert isinstance(action, Create)


def test_a_partner_claimed_in_a_page_is_not_linked_twice() -> None:
    first = crm("c1", Account_Name="Acme Ltd")
    second = crm("c2", Account_Name="acme ltd")
    actions = plan(Side.CRM, first, second, others=[books("b1", Name="Acme Ltd")])
    assert isinstance(actions[0], Update)
    assert actions[0].books.id == "b1"
    assert isinstance(actions[1], Create)


def test_a_match_from_the_accounting_side_overwrites_the_crm_record() -> None:
    crm_twin = crm("c7", Account_Name="Beta", Email="b@beta.test", Phone="1")
    record = books("b1", 3, Name="Beta", EmailAddress="B@beta.test", Phone="2", Balance=9)
    action = plan_one(Side.BOOKS, record, others=[crm_twin])
    assert isinstance(action, Update)
    assert action.binding is None
    assert action.matched_by == "Email"
    assert action.crm_patch == {"Email": "B@beta.test", "Phone": "2", "Balance": 9}
    assert action.books_patch == {}


def test_match_keys_read_the_record_id() -> None:
    flow = with_(
        match_keys=[{"crm": "id", "books": "ContactNumber", "kind": "code"}],
        fields=[*FLOW.model_dump()["fields"], {"crm": "Number", "books": "ContactNumber"}],
    )
    partner = books("b5", Name="Acme Ltd", ContactNumber=" c1 ")
    action = plan_one(Side.CRM, ACME, flow=flow, others=[partner])
    assert isinstance(action, Update)
    assert action.matched_by == "ContactNumber"


def test_one_way_flows_create_only_the_way_they_flow() -> None:
    flow = with_(direction=Direction.CRM_TO_BOOKS)
    action = plan_one(Side.CRM, ACME, flow=flow)
    assert isinstance(action, Create)
    assert "Balance" not in action.base
