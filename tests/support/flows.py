"""Small flow configs for engine tests: one module pair with every everyday kind of field."""

from __future__ import annotations

from ledgerbridge.domain.config import (
    ConflictPolicy,
    DuplicatePolicy,
    FieldRule,
    FlowConfig,
    IntegrationConfig,
    KeyKind,
    MatchKey,
    RequiredRule,
    ValueMapTransform,
    WriteBack,
)
from ledgerbridge.domain.records import Side

LEVELS = {"Gold": "G", "Silver": "S", "Bronze": "B"}


def people_flow(
    *,
    name: str = "people",
    conflict: ConflictPolicy = ConflictPolicy.LATEST_WINS,
    duplicate: DuplicatePolicy = DuplicatePolicy.OVERWRITE,
    match: bool = True,
    required: tuple[RequiredRule, ...] = (),
    write_back: tuple[WriteBack, ...] = (),
    first: Side = Side.CRM,
) -> FlowConfig:
    """CRM ``People`` <-> accounting ``Contacts``, matched by e-mail when ``match``."""
    return FlowConfig(
        name=name,
        crm_module="People",
        books_module="Contacts",
        first=first,
        match_keys=(MatchKey(crm="Email", books="EmailAddress", kind=KeyKind.EMAIL),)
        if match
        else (),
        duplicate_policy=duplicate,
        conflict_policy=conflict,
        fields=(
            FieldRule(crm="Full_Name", books="Name"),
            FieldRule(crm="Email", books="EmailAddress"),
            FieldRule(crm="Phone", books="Phone"),
            FieldRule(crm="Level", books="Tier", transform=ValueMapTransform(map=LEVELS)),
        ),
        required=required,
        write_back=write_back,
    )


def one_flow(flow: FlowConfig, name: str = "it") -> IntegrationConfig:
    return IntegrationConfig(
        name=name, crm_connection="crm", books_connection="books", flows=(flow,)
    )


NEEDS_EMAIL = RequiredRule(
    side=Side.CRM,
    field="Email",
    message="Person has no Email: the accounting system would duplicate them on every sync",
)
