"""A flow's mapping checked against both systems' field lists: each problem names the fix."""

from __future__ import annotations

from ledgerbridge.domain.config import (
    ComputedTransform,
    Direction,
    FieldRule,
    FlowConfig,
    MatchKey,
    ValueMapTransform,
    ViewCondition,
    ViewFilter,
    ViewOperator,
    WriteBack,
)
from ledgerbridge.domain.records import FieldInfo, OrgInfo, Side
from ledgerbridge.domain.validation import (
    Severity,
    currency_mismatch,
    errors,
    second_organisation_problems,
    validate_flow,
)

CRM = (
    FieldInfo("Account_Name", "Account Name", "text", required=True),
    FieldInfo("Phone", "Phone", "phone"),
    FieldInfo("Annual_Revenue", "Annual Revenue", "decimal"),
    FieldInfo("Rating", "Rating", "picklist", picklist=("Hot", "Cold")),
    FieldInfo("Created_Time", "Created", "datetime", read_only=True),
    FieldInfo("Books_ID", "Books ID", "text", custom=True),
    FieldInfo("Region_Code", "Region", "text", custom=True),
)
BOOKS = (
    FieldInfo("contact_name", "Display name", "text", required=True),
    FieldInfo("phone", "Phone", "phone"),
    FieldInfo("payment_terms", "Terms", "number"),
    FieldInfo("status", "Status", "picklist", read_only=True, picklist=("active", "inactive")),
    FieldInfo("customer_sub_type", "Kind", "picklist", picklist=("business", "individual")),
    FieldInfo("cf_region", "Region", "text", custom=True),
)


def _flow(*rules: FieldRule, **extra: object) -> FlowConfig:
    return FlowConfig.model_validate(
        {
            "name": "customers",
            "crm_module": "Accounts",
            "books_module": "contacts",
            "fields": (FieldRule(crm="Account_Name", books="contact_name"), *rules),
            **extra,
        }
    )


def _messages(flow: FlowConfig) -> list[str]:
    return [str(p) for p in validate_flow(flow, CRM, BOOKS)]


def test_a_good_mapping_with_custom_fields_has_no_problem() -> None:
    flow = _flow(
        FieldRule(crm="Phone", books="phone"),
        FieldRule(crm="Region_Code", books="cf_region"),
        FieldRule(crm="Annual_Revenue", books="payment_terms", direction=Direction.BOOKS_TO_CRM),
        match_keys=(MatchKey(crm="Account_Name", books="contact_name"),),
        write_back=(WriteBack(to=Side.CRM, field="Books_ID", source_field="@id"),),
    )
    assert validate_flow(flow, CRM, BOOKS) == []


def test_an_unknown_field_is_named_with_a_near_miss_suggested() -> None:
    (message,) = _messages(_flow(FieldRule(crm="phone", books="phone")))
    assert "CRM field phone" in message
    assert "did you mean Phone?" in message


def test_an_unknown_write_back_field_says_to_create_it() -> None:
    flow = _flow(write_back=(WriteBack(to=Side.CRM, field="Books_ID_2", source_field="@id"),))
    (message,) = _messages(flow)
    assert "write-back field Books_ID_2 is not a field of Accounts" in message
    assert "create a custom field" in message


def test_a_type_mismatch_names_both_fields_and_the_fix() -> None:
    (message,) = _messages(
        _flow(FieldRule(crm="Phone", books="payment_terms", direction=Direction.CRM_TO_BOOKS))
    )
    assert "accounting field payment_terms" in message
    assert "payment_terms is number but CRM field Phone is phone" in message
    assert "value_map" in message


def test_numbers_may_be_written_to_text_but_not_text_to_numbers() -> None:
    to_text = _flow(
        FieldRule(crm="Region_Code", books="payment_terms", direction=Direction.BOOKS_TO_CRM)
    )
    assert validate_flow(to_text, CRM, BOOKS) == []
    both = _flow(FieldRule(crm="Region_Code", books="payment_terms"))
    (problem,) = validate_flow(both, CRM, BOOKS)
    assert problem.side is Side.BOOKS


def test_writing_a_read_only_field_is_refused_with_the_direction_to_use() -> None:
    (message,) = _messages(_flow(FieldRule(crm="Rating", books="status")))
    assert "status is read-only in the accounting system" in message
    assert "books_to_crm" in message


def test_a_value_map_outside_a_picklist_is_named() -> None:
    rule = FieldRule(
        crm="Rating",
        books="customer_sub_type",
        transform=ValueMapTransform(map={"Hot": "business", "Warm": "individual"}),
    )
    (message,) = _messages(_flow(rule))
    assert "'Warm'" in message
    assert "Hot, Cold" in message


def test_a_picklist_fed_by_free_text_is_a_warning_only() -> None:
    (problem,) = validate_flow(
        _flow(
            FieldRule(
                crm="Region_Code", books="customer_sub_type", direction=Direction.CRM_TO_BOOKS
            )
        ),
        CRM,
        BOOKS,
    )
    assert problem.severity is Severity.WARNING
    assert errors([problem]) == []


def test_a_required_target_field_nobody_writes_is_a_problem() -> None:
    flow = FlowConfig(
        name="customers",
        crm_module="Accounts",
        books_module="contacts",
        fields=(FieldRule(crm="Phone", books="phone"),),
    )
    messages = [str(p) for p in validate_flow(flow, CRM, BOOKS)]
    assert any("contacts needs contact_name" in m and "map a CRM field" in m for m in messages)
    assert any("Accounts needs Account_Name" in m for m in messages)
    one_way = flow.model_copy(update={"direction": Direction.CRM_TO_BOOKS})
    assert [p.field for p in validate_flow(one_way, CRM, BOOKS)] == ["contact_name"]


def test_template_and_view_fields_are_checked() -> None:
    computed = FieldRule(
        books="cf_region",
        direction=Direction.CRM_TO_BOOKS,
        transform=ComputedTransform(template="{Account_Name} ({Regoin})"),
    )
    view = ViewFilter(
        side=Side.CRM, conditions=(ViewCondition(field="Segment", operator=ViewOperator.IS_EMPTY),)
    )
    messages = _messages(_flow(computed, views=(view,)))
    assert any("template field Regoin" in m for m in messages)
    assert any("view field Segment" in m for m in messages)


def test_unknown_field_lists_check_nothing_and_a_missing_module_is_named() -> None:
    flow = _flow(FieldRule(crm="Nope", books="nope"))
    assert validate_flow(flow, None, None) == []
    (problem,) = validate_flow(flow, CRM, ())
    assert "has no module contacts" in str(problem)


def test_base_currencies_must_match_only_for_a_multi_currency_crm() -> None:
    books = OrgInfo(name="Books Org", base_currency="USD")
    assert currency_mismatch(OrgInfo(name="CRM", base_currency="EUR"), books) is None
    multi = OrgInfo(name="CRM", base_currency="EUR", multi_currency=True)
    message = currency_mismatch(multi, books)
    assert message is not None
    assert "base currency EUR" in message and "base currency USD" in message
    same = OrgInfo(name="CRM", base_currency="usd", multi_currency=True)
    assert currency_mismatch(same, books) is None


def test_a_later_organisation_may_not_write_to_the_crm_nor_share_its_id_field() -> None:
    flow = _flow(write_back=(WriteBack(to=Side.CRM, field="Books_ID", source_field="@id"),))
    problems = second_organisation_problems([flow], "books1", "books2", {"Accounts.Books_ID"})
    assert len(problems) == 2
    assert "only the first may write to the CRM" in str(problems[0])
    assert "already writes its ids back to Books_ID" in str(problems[1])
    one_way = flow.model_copy(
        update={
            "direction": Direction.CRM_TO_BOOKS,
            "write_back": (WriteBack(to=Side.CRM, field="Books_ID_2", source_field="@id"),),
        }
    )
    assert second_organisation_problems([one_way], "books1", "books2", {"Accounts.Books_ID"}) == []
