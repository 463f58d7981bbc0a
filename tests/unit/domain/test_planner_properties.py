"""Properties of planning: a planned write converges both sides and comes back as an echo."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.domain.bindings import Binding
from ledgerbridge.domain.config import ConflictPolicy, FlowConfig
from ledgerbridge.domain.lookups import LookupTable
from ledgerbridge.domain.mapping import FlowMap
from ledgerbridge.domain.paths import get_path
from ledgerbridge.domain.planner import (
    Create,
    PageInput,
    Skip,
    Update,
    apply_patch,
    plan_page,
    record_hash,
)
from ledgerbridge.domain.records import Record, Side
from ledgerbridge.domain.values import canon

from .builders import at
from .planning import FLOW, with_

FLOWS = [with_(conflict_policy=p) for p in ConflictPolicy] + [
    with_(
        fields=[
            *FLOW.model_dump()["fields"],
            {"crm": "Currency", "books": "Cur", "transform": {"kind": "default", "value": "USD"}},
            {
                "crm": "Contacts",
                "books": "ContactPersons",
                "max_items": 2,
                "children": [
                    {"crm": "Email", "books": "EmailAddress"},
                    {"crm": "Role", "books": "Role", "direction": "crm_to_books"},
                ],
            },
        ]
    ),
    with_(
        fields=[
            *FLOW.model_dump()["fields"],
            {
                "books": "ContactNumber",
                "direction": "crm_to_books",
                "transform": {"kind": "computed", "template": "{id}-{Phone}"},
            },
            {
                "books": "Kind",
                "direction": "crm_to_books",
                "transform": {"kind": "constant", "value": "CUSTOMER"},
            },
            {
                "crm": "Books_Label",
                "direction": "books_to_crm",
                "transform": {"kind": "computed", "template": "{Name} ({Tier})"},
            },
        ]
    ),
]

texts = st.sampled_from([None, "", "Acme", "acme ", "Beta", "12"])
persons = st.lists(
    st.fixed_dictionaries(
        {"Email": st.sampled_from(["a@x.test", "b@x.test", ""])},
        optional={"Role": st.sampled_from(["boss", "clerk"])},
    ),
    max_size=4,
)
crm_edits = st.fixed_dictionaries(
    {},
    optional={
        "Account_Name": texts,
        "Phone": texts,
        "Email": texts,
        "Rating": st.sampled_from([None, "Hot", "Warm", "Cold"]),
        "Currency": st.sampled_from([None, "EUR", "USD"]),
        "Contacts": persons,
    },
)
books_edits = st.fixed_dictionaries(
    {},
    optional={
        "Name": texts,
        "Phone": texts,
        "Tier": st.sampled_from([None, "A", "B", "C"]),
        "Balance": st.sampled_from([None, 0, 12.5, 100]),
        "Cur": st.sampled_from([None, "GBP", "USD"]),
    },
)


def sync_pair(fmap: FlowMap, crm_fields: dict[str, Any]) -> tuple[Record, Record, Binding]:
    """A CRM record, its partner as the planner would create it, and their binding."""
    source = Record("c1", "Accounts", crm_fields, at(0))
    (action,) = plan_page(fmap, PageInput(Side.CRM, [source], {}))
    assert isinstance(action, Create), action
    partner = Record("b1", "Contacts", action.fields, at(0))
    binding = Binding(
        "c1",
        "b1",
        action.base,
        action.source_hash,
        record_hash(fmap, Side.BOOKS, partner),
    )
    return source, partner, binding


def plan_side(
    fmap: FlowMap, side: Side, crm: Record, books: Record, binding: Binding
) -> Skip | Update:
    record, partner = (crm, books) if side is Side.CRM else (books, crm)
    (action,) = plan_page(
        fmap,
        PageInput(
            side,
            [record],
            {record.id: binding},
            partners={partner.id: partner},
            lookups=LookupTable(),
        ),
    )
    assert isinstance(action, Skip | Update), action
    return action


def assert_side_holds(
    fmap: FlowMap, side: Side, record: Record, base: dict[str, Any], *, agreed_only: bool = False
) -> None:
    """Every field ``side`` sends reads as the base; every field it only receives shows it.

    With ``agreed_only`` fields missing from the base are not checked: a create agrees on what
    its source sends, and what only the new record sends comes across with its first change.
    """
    values, errors = fmap.read(side, record.data, LookupTable(), base)
    assert errors == []
    for key, value in values.items():
        if agreed_only and key not in base:
            continue
        assert value == base.get(key), (side, key)
    one_way_in = [r for r in fmap.rules if r.receives(side) and not r.sends(side)]
    rendered = fmap.render(side, base, [r.key for r in one_way_in], LookupTable()).fields
    for r in one_way_in:
        path = r.path(side)
        assert path is not None
        assert canon(get_path(record.fields, path)) == canon(get_path(rendered, path)), (side, path)


@settings(max_examples=150)
@given(
    st.sampled_from(FLOWS),
    crm_edits,
    crm_edits,
    books_edits,
    st.sampled_from(list(Side)),
    st.integers(1, 3),
    st.integers(1, 3),
)
def test_a_planned_update_converges_and_then_echoes(
    flow: FlowConfig,
    start: dict[str, Any],
    crm_edit: dict[str, Any],
    books_edit: dict[str, Any],
    first: Side,
    crm_minute: int,
    books_minute: int,
) -> None:
    fmap = FlowMap(flow)
    start = {"Account_Name": "Acme", **start}
    crm0, books0, binding = sync_pair(fmap, start)
    crm1 = Record("c1", "Accounts", {**crm0.fields, **crm_edit}, at(crm_minute))
    books1 = Record("b1", "Contacts", {**books0.fields, **books_edit}, at(books_minute))

    action = plan_side(fmap, first, crm1, books1, binding)
    if isinstance(action, Skip):
        assert action.echo
        action = plan_side(fmap, first.other, crm1, books1, binding)
        if isinstance(action, Skip):
            # Neither side changed a mapped field.
            assert action.echo
            return
    assert isinstance(action, Update)

    crm2 = Record("c1", "Accounts", apply_patch(crm1.fields, action.crm_patch), at(5))
    books2 = Record("b1", "Contacts", apply_patch(books1.fields, action.books_patch), at(5))
    assert_side_holds(fmap, Side.CRM, crm2, action.base)
    assert_side_holds(fmap, Side.BOOKS, books2, action.base)

    # The engine stores the new base and the hashes of what each side now holds.
    after = Binding(
        "c1",
        "b1",
        action.base,
        record_hash(fmap, Side.CRM, crm2),
        record_hash(fmap, Side.BOOKS, books2),
    )
    for side in Side:
        again = plan_side(fmap, side, crm2, books2, after)
        assert isinstance(again, Skip)
        assert again.echo


@given(st.sampled_from(FLOWS), crm_edits)
def test_a_created_partner_reads_back_as_the_base(flow: FlowConfig, fields: dict[str, Any]) -> None:
    fmap = FlowMap(flow)
    crm0, books0, binding = sync_pair(fmap, {"Account_Name": "Acme", **fields})
    assert_side_holds(fmap, Side.CRM, crm0, dict(binding.base))
    assert_side_holds(fmap, Side.BOOKS, books0, dict(binding.base), agreed_only=True)
    for side in Side:
        again = plan_side(fmap, side, crm0, books0, binding)
        assert isinstance(again, Skip)
        assert again.echo


@settings(max_examples=150)
@given(st.sampled_from(FLOWS), crm_edits, books_edits, st.sampled_from(list(Side)))
def test_a_pair_linked_by_overwrite_converges_and_then_echoes(
    flow: FlowConfig, crm_fields: dict[str, Any], books_fields: dict[str, Any], side: Side
) -> None:
    fmap = FlowMap(flow)
    # Both share the name key, so the record finds its partner.
    crm0 = Record("c1", "Accounts", {**crm_fields, "Account_Name": "Acme", "Email": None}, at(1))
    books0 = Record("b1", "Contacts", {**books_fields, "Name": "acme"}, at(2))
    record, partner = (crm0, books0) if side is Side.CRM else (books0, crm0)
    (action,) = plan_page(fmap, PageInput(side, [record], {}, candidates={(1, "acme"): [partner]}))
    if not isinstance(action, Update):
        # A value the map cannot carry fails the link; nothing else may.
        assert not isinstance(action, Create)
        return
    assert action.binding is None
    crm1 = Record("c1", "Accounts", apply_patch(crm0.fields, action.crm_patch), at(5))
    books1 = Record("b1", "Contacts", apply_patch(books0.fields, action.books_patch), at(5))
    assert_side_holds(fmap, Side.CRM, crm1, action.base)
    assert_side_holds(fmap, Side.BOOKS, books1, action.base)
    after = Binding(
        "c1",
        "b1",
        action.base,
        record_hash(fmap, Side.CRM, crm1),
        record_hash(fmap, Side.BOOKS, books1),
    )
    for s in Side:
        again = plan_side(fmap, s, crm1, books1, after)
        assert isinstance(again, Skip)
        assert again.echo
