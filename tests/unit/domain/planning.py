"""A flow and a page builder shared by the planner tests."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ledgerbridge.domain.bindings import Binding
from ledgerbridge.domain.config import (
    ConflictPolicy,
    Direction,
    DuplicatePolicy,
    FieldRule,
    FlowConfig,
    KeyKind,
    MatchKey,
    ValueMapTransform,
)
from ledgerbridge.domain.keys import normalise_key
from ledgerbridge.domain.lookups import LookupTable
from ledgerbridge.domain.mapping import FlowMap
from ledgerbridge.domain.paths import get_path
from ledgerbridge.domain.planner import Action, PageInput, plan_page
from ledgerbridge.domain.records import Record, Side

FLOW = FlowConfig(
    name="accounts",
    crm_module="Accounts",
    books_module="Contacts",
    match_keys=(
        MatchKey(crm="Email", books="EmailAddress", kind=KeyKind.EMAIL),
        MatchKey(crm="Account_Name", books="Name", kind=KeyKind.NAME),
    ),
    duplicate_policy=DuplicatePolicy.OVERWRITE,
    conflict_policy=ConflictPolicy.LATEST_WINS,
    fields=(
        FieldRule(crm="Account_Name", books="Name"),
        FieldRule(crm="Email", books="EmailAddress"),
        FieldRule(crm="Phone", books="Phone"),
        FieldRule(
            crm="Rating",
            books="Tier",
            transform=ValueMapTransform(map={"Hot": "A", "Warm": "B", "Cold": "C"}),
        ),
        FieldRule(crm="Balance", books="Balance", direction=Direction.BOOKS_TO_CRM),
    ),
)


def with_(flow: FlowConfig = FLOW, **update: Any) -> FlowConfig:
    """The flow with some settings changed, validated again."""
    return FlowConfig.model_validate({**flow.model_dump(), **update})


def candidates_for(
    flow: FlowConfig, side: Side, others: Iterable[Record]
) -> dict[tuple[int, str], list[Record]]:
    """Records of the other side indexed by match key, the way the engine finds them."""
    out: dict[tuple[int, str], list[Record]] = defaultdict(list)
    for rec in others:
        for i, mk in enumerate(flow.match_keys):
            their_field = mk.books if side is Side.CRM else mk.crm
            key = normalise_key(mk.kind, get_path(rec.data, their_field))
            if key is not None:
                out[(i, key)].append(rec)
    return dict(out)


def plan(
    side: Side,
    *records: Record,
    flow: FlowConfig = FLOW,
    bindings: Iterable[Binding] = (),
    partners: Iterable[Record] = (),
    others: Iterable[Record] = (),
    lookups: LookupTable | None = None,
    claimed: Iterable[str] = (),
    done: Iterable[str] = (),
    run: Direction = Direction.BOTH,
) -> list[Action]:
    return plan_page(
        FlowMap(flow, run),
        PageInput(
            side=side,
            records=list(records),
            bindings={b.id_on(side): b for b in bindings},
            partners={p.id: p for p in partners},
            candidates=candidates_for(flow, side, others),
            lookups=lookups or LookupTable(),
            claimed=set(claimed),
            done=set(done),
        ),
    )


def plan_one(side: Side, record: Record, **kwargs: Any) -> Action:
    (action,) = plan(side, record, **kwargs)
    return action
