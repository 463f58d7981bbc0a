"""Integration and flow configuration, validated at every boundary (YAML, REST, store)."""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    Tag,
    field_validator,
    model_serializer,
    model_validator,
)

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Side


class Direction(enum.StrEnum):
    CRM_TO_BOOKS = "crm_to_books"
    BOOKS_TO_CRM = "books_to_crm"
    BOTH = "both"

    def reads(self, side: Side) -> bool:
        """Whether changes on ``side`` are read (and carried to the other side)."""
        if self is Direction.BOTH:
            return True
        return (self is Direction.CRM_TO_BOOKS) == (side is Side.CRM)

    def writes(self, side: Side) -> bool:
        """Whether ``side`` receives writes."""
        return self.reads(side.other)

    def narrow(self, other: Direction) -> Direction | None:
        """The direction both allow, or ``None`` when they have nothing in common."""
        if self is Direction.BOTH:
            return other
        if other is Direction.BOTH or other is self:
            return self
        return None


class ConflictPolicy(enum.StrEnum):
    CRM_WINS = "crm_wins"
    BOOKS_WINS = "books_wins"
    LATEST_WINS = "latest_wins"


class DuplicatePolicy(enum.StrEnum):
    """What to do when an unbound record matches a record on the other side by key."""

    CLONE = "clone"  # create a new record anyway
    OVERWRITE = "overwrite"  # bind to it and write our values over it
    SKIP = "skip"  # leave both alone and report it


class KeyKind(enum.StrEnum):
    EMAIL = "email"  # case-folded, trimmed
    CODE = "code"  # trimmed
    NAME = "name"  # trimmed, whitespace collapsed, case-folded
    EXACT = "exact"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Transform(_Model):
    """Transforms always serialise their ``kind``, even when defaults are left out."""

    @model_serializer(mode="wrap")
    def _with_kind(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        data.setdefault("kind", getattr(self, "kind"))  # noqa: B009 - every subclass has one
        return data


class RenameTransform(_Transform):
    kind: Literal["rename"] = "rename"


class ValueMapTransform(_Transform):
    """Maps CRM values to accounting values (picklists, statuses). Reversed for the way back."""

    kind: Literal["value_map"] = "value_map"
    map: dict[str, Any]
    # Used when a value is not in the map; absent means the record fails with a clear reason.
    default_to_books: Any = None
    default_to_crm: Any = None
    has_default_to_books: bool = False
    has_default_to_crm: bool = False
    # A catalogue of the accounting system (``tax_rates``) read at the start of each run: a
    # CRM value equal to an entry's name or code maps to its code, and map entries whose code
    # the organisation does not have are dropped (so the record fails with the value named).
    catalogue: str | None = None


class DefaultTransform(_Transform):
    """Fills the target with ``value`` when the source is empty."""

    kind: Literal["default"] = "default"
    value: Any


class LookupTransform(_Transform):
    """The field holds a reference to a record bound by another flow (e.g. an invoice's account)."""

    kind: Literal["lookup"] = "lookup"
    flow: str
    # Where the id sits inside the field value on each side, e.g. ``id`` for Zoho ``{id, name}``,
    # ``ContactID`` for Xero ``{ContactID}``; empty means the value itself is the id.
    crm_id_path: str = "id"
    books_id_path: str = ""
    # Optional: a field of the referenced record to write instead of its id (e.g. Xero ItemCode).
    books_key: str | None = None


class ComputedTransform(_Transform):
    """A value built from several source fields with a ``{Field}`` template; always one-way."""

    kind: Literal["computed"] = "computed"
    template: str


class ConstantTransform(_Transform):
    """Always writes ``value`` to the target; one-way."""

    kind: Literal["constant"] = "constant"
    value: Any


def _transform_kind(value: Any) -> str:
    """A transform written without ``kind`` is a plain rename (configs stay short)."""
    if isinstance(value, dict):
        return str(value.get("kind", "rename"))
    return str(getattr(value, "kind", "rename"))


Transform = Annotated[
    Annotated[RenameTransform, Tag("rename")]
    | Annotated[ValueMapTransform, Tag("value_map")]
    | Annotated[DefaultTransform, Tag("default")]
    | Annotated[LookupTransform, Tag("lookup")]
    | Annotated[ComputedTransform, Tag("computed")]
    | Annotated[ConstantTransform, Tag("constant")],
    Discriminator(_transform_kind),
]


class FieldRule(_Model):
    """One mapped field: where it lives on each side, which way it flows, how it changes."""

    crm: str | None = None  # dotted path on the CRM record; None for books->crm computed fields
    books: str | None = None
    direction: Direction = Direction.BOTH
    transform: Transform = Field(default_factory=RenameTransform)
    # Nested list fields (line items, contact persons) carry their own rules.
    children: tuple[FieldRule, ...] = ()
    # For children: which child field identifies a child across syncs (else position is used).
    max_items: int | None = None  # e.g. Xero allows five ContactPersons

    @property
    def key(self) -> str:
        return self.crm or f"books:{self.books}"

    @model_validator(mode="after")
    def _check(self) -> FieldRule:
        t = self.transform
        if self.crm is None and self.books is None:
            raise ValueError("a field rule needs a 'crm' or a 'books' field (or both)")
        one_way = isinstance(t, ComputedTransform | ConstantTransform)
        if one_way and self.direction is Direction.BOTH:
            raise ValueError(
                f"field {self.crm or self.books}: a {t.kind} field can only flow one way; "
                "set direction to crm_to_books or books_to_crm"
            )
        if self.direction is not Direction.BOOKS_TO_CRM and self.books is None:
            raise ValueError(f"field {self.crm}: direction {self.direction} needs a 'books' field")
        if self.direction is not Direction.CRM_TO_BOOKS and self.crm is None:
            raise ValueError(f"field {self.books}: direction {self.direction} needs a 'crm' field")
        if isinstance(t, ValueMapTransform) and self.direction is not Direction.CRM_TO_BOOKS:
            _check_reversible(self.key, t, self.direction)
        if (
            isinstance(t, LookupTransform)
            and t.books_key
            and self.direction is not Direction.CRM_TO_BOOKS
        ):
            # The accounting side holds the key (an item code), not an id we could look up.
            raise ValueError(
                f"field {self.key}: a lookup that writes the accounting {t.books_key} cannot be "
                "read back; set direction to crm_to_books"
            )
        if self.children and not isinstance(t, RenameTransform):
            raise ValueError(
                f"field {self.key}: a field with children cannot have a {t.kind} transform; "
                "put transforms on its children"
            )
        if self.max_items is not None:
            if not self.children:
                raise ValueError(
                    f"field {self.key}: max_items limits a list of children; this field has none"
                )
            if self.max_items < 1:
                raise ValueError(f"field {self.key}: max_items must be 1 or more")
        _check_unique(self.children)
        return self


class MatchKey(_Model):
    """A pair of fields that identify the same record on both sides."""

    crm: str
    books: str
    kind: KeyKind = KeyKind.EXACT
    # The key names at most one record on each side (an item's SKU, a product code): a clone
    # would give two records one key, so a flow matching by it may overwrite or skip, not clone.
    unique: bool = False


class RequiredRule(_Model):
    """A condition a source record must meet to sync; ``message`` tells a person what to do."""

    side: Side
    field: str
    check: Literal["present", "true", "one_of", "bound"] = "present"
    values: tuple[Any, ...] = ()
    message: str
    # True: a record that fails the rule is out of scope (skipped, with the message), not failed.
    skip: bool = False
    # The rule applies only to records meeting all of these (a supplier, say).
    when: tuple[ViewCondition, ...] = ()
    # True: checked only while the record has no partner, so it decides whether the record may
    # create one; a bound record keeps syncing.
    unbound_only: bool = False

    @model_validator(mode="after")
    def _check(self) -> RequiredRule:
        if self.check == "one_of" and not self.values:
            raise ValueError(
                f"required rule on {self.field}: check one_of needs the allowed 'values'"
            )
        return self


class WriteBack(_Model):
    """After a create or update on ``to``, copy a field of the written record back to the source.

    ``source_field`` is a dotted path on the written record, or ``@id`` for its id.
    """

    to: Side
    field: str
    source_field: str


class ViewOperator(enum.StrEnum):
    """The comparisons a view condition may make (the ones Zoho criteria and views offer)."""

    EQUALS = "equals"
    NOT_EQUAL = "not_equal"
    IS_EMPTY = "is_empty"
    IS_NOT_EMPTY = "is_not_empty"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    IN = "in"
    NOT_IN = "not_in"


_NO_VALUE = frozenset({ViewOperator.IS_EMPTY, ViewOperator.IS_NOT_EMPTY})
_MANY_VALUES = frozenset({ViewOperator.IN, ViewOperator.NOT_IN})


class ViewCondition(_Model):
    """``field operator value``: one condition of a criteria view."""

    field: str
    operator: ViewOperator = ViewOperator.EQUALS
    value: Any = None

    @model_validator(mode="after")
    def _check(self) -> ViewCondition:
        op = self.operator
        if op in _NO_VALUE and self.value is not None:
            raise ValueError(f"view condition on {self.field}: {op.value} takes no value")
        if op in _MANY_VALUES and not isinstance(self.value, list | tuple):
            raise ValueError(f"view condition on {self.field}: {op.value} needs a list of values")
        if op not in _NO_VALUE and op not in _MANY_VALUES and self.value is None:
            raise ValueError(
                f"view condition on {self.field}: {op.value} needs a value (use is_empty to "
                "ask for an empty field)"
            )
        return self


class RelatedConfig(_Model):
    """Child records gathered under their parent (an account's contacts), mapped as its fields.

    The engine reads the children whose ``parent_field`` lookup points at each parent and puts
    them on the parent as ``@<name>``: ``{"primary": {...}, "others": [...]}``. The primary
    child is the one whose ``primary_field`` is true (or the only child). A change to a child
    re-syncs its parent. Children failing ``required`` are left out with the rule's message.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,30}$")
    crm_module: str
    parent_field: str
    primary_field: str | None = None
    fields: tuple[str, ...]  # child fields carried (besides id)
    required: tuple[RequiredRule, ...] = ()
    # Others past this many are named in the run (the accounting side keeps no more).
    max_others: int | None = None
    # Why a child with no parent does not sync.
    orphan_message: str = "it has no parent record, so it does not sync"


class FigureRule(_Model):
    """A figure the accounting side computes (``receivables_outstanding``, ``sales_total``),
    written to a CRM field of the flow's bound records after each run."""

    figure: str
    crm: str


class ViewFilter(_Model):
    """Limits a flow's records on one side: all ``equals`` and ``conditions`` must hold.

    ``custom_view_id`` names a Zoho CRM custom view (its ``cvid``); the engine reads the view's
    criteria from the CRM at the start of each run and holds records to them, so a view edited
    in the CRM applies at once. ``equals`` is the short form of ``conditions`` that older
    configs use.
    """

    side: Side
    equals: dict[str, Any] = Field(default_factory=dict)
    conditions: tuple[ViewCondition, ...] = ()
    custom_view_id: str | None = None

    @model_validator(mode="after")
    def _check(self) -> ViewFilter:
        if self.custom_view_id is not None and self.side is not Side.CRM:
            raise ValueError("custom_view_id names a Zoho CRM custom view: use it on side crm")
        return self


class FlowConfig(_Model):
    """One module pair of an integration."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    crm_module: str
    books_module: str
    direction: Direction = Direction.BOTH
    first: Side = Side.CRM
    match_keys: tuple[MatchKey, ...] = ()
    duplicate_policy: DuplicatePolicy = DuplicatePolicy.SKIP
    conflict_policy: ConflictPolicy = ConflictPolicy.LATEST_WINS
    fields: tuple[FieldRule, ...]
    required: tuple[RequiredRule, ...] = ()
    write_back: tuple[WriteBack, ...] = ()
    views: tuple[ViewFilter, ...] = ()
    depends_on: tuple[str, ...] = ()
    propagate_deletes: bool = False
    enabled: bool = True
    # Accounting figures written back to the CRM after a run (see domain.figures).
    figures: tuple[FigureRule, ...] = ()
    # Which way an unbound record may create its partner (e.g. invoices start in the CRM: a
    # Xero-made invoice is reported, not copied into the CRM without its products).
    creates: Direction = Direction.BOTH
    # Child records gathered under each CRM record (contacts under their account).
    related: tuple[RelatedConfig, ...] = ()

    @field_validator("fields")
    @classmethod
    def _unique_fields(cls, rules: tuple[FieldRule, ...]) -> tuple[FieldRule, ...]:
        if not rules:
            raise ValueError("a flow needs at least one field rule")
        _check_unique(rules)
        return rules

    @model_validator(mode="after")
    def _no_clone_on_unique_keys(self) -> FlowConfig:
        if self.duplicate_policy is DuplicatePolicy.CLONE:
            for key in self.match_keys:
                if key.unique:
                    # Not a ValueError: the message must reach the person unwrapped.
                    raise ConfigError(
                        f"flow {self.name}: it matches by {key.crm} <-> {key.books}, which must "
                        "stay unique, so a duplicate cannot be cloned; set duplicate_policy to "
                        "overwrite or skip"
                    )
        return self


class ScheduleConfig(_Model):
    enabled: bool = False
    interval_minutes: int | None = Field(default=120, ge=5)
    # "HH:MM" in ``timezone``
    times: tuple[Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")], ...] = ()
    timezone: str = "UTC"
    flows: tuple[str, ...] = ()  # empty = all
    direction: Direction = Direction.BOTH
    email_summary: bool = False


class IntegrationConfig(_Model):
    """Config-as-code: what ``integration export`` writes and ``integration import`` reads."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    recipe: str = "custom"
    crm_connection: str
    books_connection: str
    notify_email: str | None = None
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    flows: tuple[FlowConfig, ...]

    @model_validator(mode="after")
    def _check_flows(self) -> IntegrationConfig:
        names = [f.name for f in self.flows]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"flow names must be unique; repeated: {', '.join(sorted(dupes))}")
        known = set(names)
        for flow in self.flows:
            for dep in flow.depends_on:
                if dep not in known:
                    raise ValueError(f"flow {flow.name} depends on unknown flow {dep!r}")
            for rule in _all_rules(flow.fields):
                t = rule.transform
                if isinstance(t, LookupTransform) and t.flow not in known:
                    raise ValueError(
                        f"flow {flow.name}, field {rule.key}: lookup to unknown flow {t.flow!r}"
                    )
        from ledgerbridge.domain.ordering import order_flows

        order_flows(self.flows)  # raises on cycles
        return self


def _check_reversible(key: str, t: ValueMapTransform, direction: Direction) -> None:
    """Accounting values are read back through the inverse map, so each needs one CRM value."""
    # The inverse is keyed by canonical text (see mapping), so 1, 1.0 and "1" are one value.
    from ledgerbridge.domain.values import canon

    seen: dict[str, str] = {}
    for crm_value, books_value in t.map.items():
        inverse_key = str(canon(books_value))
        if inverse_key in seen:
            fix = (
                "make the field one-way (crm_to_books)"
                if direction is Direction.BOTH
                else "a books_to_crm field reads it backwards, so give each accounting value "
                "one CRM value"
            )
            raise ValueError(
                f"field {key}: the value map sends two CRM values ({seen[inverse_key]!r} and "
                f"{crm_value!r}) to the same accounting value {books_value!r}, so it cannot be "
                f"reversed; {fix}"
            )
        seen[inverse_key] = crm_value


def _check_unique(rules: tuple[FieldRule, ...]) -> None:
    """One rule per field: two rules writing one target field would overwrite each other."""
    keys: set[str] = set()
    books_targets: dict[str, str] = {}
    for rule in rules:
        if rule.key in keys:
            raise ValueError(f"field {rule.key} is mapped twice; keep one rule per field")
        keys.add(rule.key)
        if rule.books is not None and rule.direction.writes(Side.BOOKS):
            other = books_targets.get(rule.books)
            if other is not None:
                raise ValueError(
                    f"accounting field {rule.books} is mapped twice (by fields {other} and "
                    f"{rule.key}); keep one rule writing it"
                )
            books_targets[rule.books] = rule.key


def _all_rules(rules: tuple[FieldRule, ...]) -> list[FieldRule]:
    out: list[FieldRule] = []
    for r in rules:
        out.append(r)
        out.extend(_all_rules(r.children))
    return out
