"""The sync planner: a pure function from (changes, bindings, rules) to actions.

It covers steps 2 to 4 of the sync: resolve each changed record (bound? matched by key?),
validate it against the flow's required-field rules, map it and diff it against the binding's
base snapshot. The engine executes the actions; a dry run prints them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ledgerbridge.domain.bindings import Binding
from ledgerbridge.domain.config import (
    ComputedTransform,
    DuplicatePolicy,
    FlowConfig,
    RenameTransform,
)
from ledgerbridge.domain.keys import normalise_key
from ledgerbridge.domain.lookups import LookupTable, MissingLookup
from ledgerbridge.domain.mapping import CompiledRule, FlowMap, MappingError, Rendered
from ledgerbridge.domain.merge import Conflict, MergeResult, merge, winner
from ledgerbridge.domain.paths import get_path, set_path
from ledgerbridge.domain.records import Record, Side
from ledgerbridge.domain.related import NOTES
from ledgerbridge.domain.rules import check_required, in_view
from ledgerbridge.domain.values import canon, is_empty, value_hash

SIDE_LABEL = {Side.CRM: "CRM", Side.BOOKS: "accounting"}


@dataclass(frozen=True, slots=True)
class Create:
    """Create the partner of an unbound record on ``side.other``."""

    side: Side  # where the source record was read
    source: Record
    fields: dict[str, Any]  # in the target's terms
    base: dict[str, Any]
    source_hash: str
    label: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Update:
    """Bring a pair in line: patches for either side, a new base, conflicts if any.

    With ``binding`` set the pair is bound already; otherwise it is a new link found by key.
    Empty patches mean only the binding's hashes need refreshing.
    """

    side: Side
    crm: Record
    books: Record
    crm_patch: dict[str, Any]
    books_patch: dict[str, Any]
    base: dict[str, Any]
    label: str
    binding: Binding | None = None
    conflicts: tuple[Conflict, ...] = ()
    warnings: tuple[str, ...] = ()
    matched_by: str | None = None  # the match key that linked a new pair

    @property
    def writes(self) -> bool:
        return bool(self.crm_patch or self.books_patch)


@dataclass(frozen=True, slots=True)
class Skip:
    side: Side
    record: Record
    reason: str
    label: str = ""
    partner_id: str | None = None
    report: bool = True  # False for echoes and out-of-view records: nothing to tell anyone
    echo: bool = False


@dataclass(frozen=True, slots=True)
class Fail:
    side: Side
    record: Record
    reason: str
    label: str = ""
    partner_id: str | None = None
    # A dependency that is not bound yet: the engine may sync it first and plan again.
    missing: MissingLookup | None = None


@dataclass(frozen=True, slots=True)
class Archive:
    """A bound record was deleted and its flow carries deletions: archive its partner."""

    side: Side  # the side the deletion was read on
    record: Record
    binding: Binding
    label: str = ""


@dataclass(frozen=True, slots=True)
class WriteBackDue:
    """A record created by an earlier run still owes its write-backs (the run died first)."""

    side: Side
    record: Record
    binding: Binding
    patch: dict[str, Any]
    label: str = ""


Action = Create | Update | Skip | Fail | Archive | WriteBackDue

# Set in a binding's extra values when its create owes write-backs to the source record;
# cleared once they are written, so a crash in between cannot lose them.
WRITE_BACK_OWED = "write_back_owed"


def write_back_patch(
    flow: FlowConfig, side: Side, source: Record, partner: Record
) -> dict[str, Any]:
    """The write-back fields ``source`` (read on ``side``) should get from its ``partner``."""
    patch: dict[str, Any] = {}
    for wb in flow.write_back:
        if wb.to is not side:
            continue
        value = partner.id if wb.source_field == "@id" else get_path(partner.data, wb.source_field)
        if canon(get_path(source.data, wb.field)) != canon(value):
            patch[wb.field] = value
    return patch


def _returns(rule: CompiledRule, side: Side) -> bool:
    """Whether ``rule`` carries a value only the other side sets (a Xero invoice's status and
    amounts, a contact number made from the new CRM id) to records read on ``side``."""
    t = rule.rule.transform
    return (
        not rule.children
        and rule.sends(side.other)
        and rule.receives(side)
        and not rule.sends(side)
        and isinstance(t, RenameTransform | ComputedTransform)
    )


def returns_values(fmap: FlowMap, side: Side) -> bool:
    """Whether a record read on ``side`` gets values back from a partner created from it."""
    return any(_returns(r, side) for r in fmap.rules)


def created_patch(
    fmap: FlowMap, side: Side, source: Record, partner: Record
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What ``source`` (read on ``side``) owes from the ``partner`` just created from it, and
    the canonical values of the mapped fields among it (for the binding's base).

    Its write-backs, and the fields only the partner's system sets, as a link would bring
    them: the create and the link of the same pair end alike.
    """
    patch: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for r in fmap.rules:
        if not _returns(r, side):
            continue
        path = r.path(side)
        value = r.read(side.other, partner.data, LookupTable())
        if path is None or is_empty(value):
            continue
        values[r.key] = value
        if canon(get_path(source.data, path)) != canon(value):
            set_path(patch, path, value)
    return apply_patch(patch, write_back_patch(fmap.flow, side, source, partner)), values


@dataclass(slots=True)
class PageInput:
    """Everything the planner needs for one page of changes read on ``side``."""

    side: Side
    records: Sequence[Record]
    bindings: Mapping[str, Binding]  # by id on ``side``
    partners: Mapping[str, Record] = field(default_factory=dict)  # other side, by id
    # (match-key index, normalised key) -> records on the other side with that key
    candidates: Mapping[tuple[int, str], Sequence[Record]] = field(default_factory=dict)
    lookups: LookupTable = field(default_factory=LookupTable)
    # other-side ids that are bound already or were claimed earlier in this run
    claimed: set[str] = field(default_factory=set)
    # ids on ``side`` handled earlier in this run (by the other side's pass)
    done: set[str] = field(default_factory=set)
    # echo hashes of bound records, when the caller worked them out already
    hashes: Mapping[str, str] = field(default_factory=dict)
    # unbound ids on ``side`` whose partner an earlier run may have created (it died before
    # storing the binding): a match is that partner, linked whatever the duplicate policy
    in_flight: set[str] = field(default_factory=set)


def record_hash(fmap: FlowMap, side: Side, record: Record) -> str:
    return value_hash(fmap.project(side, record.fields))


def label_of(flow: FlowConfig, side: Side, record: Record) -> str:
    """A human name for a record: its first match key or first mapped field."""
    paths = [k.crm if side is Side.CRM else k.books for k in flow.match_keys]
    paths = [p for p in paths if p != "id"]
    paths += [p for r in flow.fields if (p := (r.crm if side is Side.CRM else r.books))]
    for path in paths:
        value = get_path(record.data, path)
        if isinstance(value, str | int | float) and str(value).strip():
            return str(value).strip()
    return record.id


def match_values(flow: FlowConfig, side: Side, record: Record) -> list[tuple[int, str, str]]:
    """(key index, other side's field, normalised key) for each match key the record has."""
    out: list[tuple[int, str, str]] = []
    for i, mk in enumerate(flow.match_keys):
        mine, theirs = (mk.crm, mk.books) if side is Side.CRM else (mk.books, mk.crm)
        key = normalise_key(mk.kind, get_path(record.data, mine))
        if key is not None:
            out.append((i, theirs, key))
    return out


def plan_page(fmap: FlowMap, page: PageInput) -> list[Action]:
    """The actions for one page of changes read on ``page.side``."""
    planner = _Planner(fmap, page)
    return [planner.plan(r) for r in page.records]


class _Planner:
    def __init__(self, fmap: FlowMap, page: PageInput) -> None:
        self.fmap = fmap
        self.flow = fmap.flow
        self.page = page
        self.side = page.side
        self.other = page.side.other
        # Claims made inside this page, so two records never link to the same partner.
        self.claimed = set(page.claimed)

    def plan(self, record: Record) -> Action:
        side, flow = self.side, self.flow
        label = label_of(flow, side, record)
        binding = self.page.bindings.get(record.id)
        if record.id in self.page.done:
            return Skip(side, record, "handled earlier in this run", label, report=False, echo=True)
        if record.deleted:
            if binding is None:
                return Skip(side, record, "deleted before it was synced", label, report=False)
            if flow.propagate_deletes:
                return Archive(side, record, binding, label)
            return Skip(
                side,
                record,
                f"deleted in the {SIDE_LABEL[side]} system; its partner is kept because "
                f"flow {flow.name} does not carry deletions across",
                label,
                partner_id=binding.id_on(self.other),
            )
        if not in_view(flow.views, side, record.data):
            return Skip(side, record, "outside the flow's view", label, report=False)
        if binding is not None:
            return self._bound(record, binding, label)
        return self._unbound(record, label)

    # -- bound records ---------------------------------------------------------------------

    def _bound(self, record: Record, binding: Binding, label: str) -> Action:
        side, other = self.side, self.other
        partner_id = binding.id_on(other)
        owed = bool(binding.extra.get(WRITE_BACK_OWED))
        # Echo check: the mapped values are exactly what we last wrote or saw on this side.
        current = self.page.hashes.get(record.id) or record_hash(self.fmap, side, record)
        if current == binding.hash_on(side):
            partner = self.page.partners.get(partner_id)
            if owed and partner is not None and not partner.deleted:
                patch, values = created_patch(self.fmap, side, record, partner)
                rebased = replace(binding, base={**binding.base, **values})
                return WriteBackDue(side, record, rebased, patch, label)
            return Skip(side, record, "no mapped field changed", label, partner_id, False, True)
        partner = self.page.partners.get(partner_id)
        if partner is None or partner.deleted:
            return Skip(
                side,
                record,
                f"its {SIDE_LABEL[other]} partner {partner_id} was deleted; it is not "
                "recreated (re-link it or remove the binding)",
                label,
                partner_id,
            )
        failures, skips = check_required(self.flow, side, record.data, bound=True)
        if failures:
            return Fail(side, record, "; ".join(failures), label, partner_id)
        if skips:
            return Skip(side, record, "; ".join(skips), label, partner_id)
        crm, books = (record, partner) if side is Side.CRM else (partner, record)
        crm_changed = side is Side.CRM or record_hash(self.fmap, Side.CRM, crm) != binding.crm_hash
        books_changed = (
            side is Side.BOOKS or record_hash(self.fmap, Side.BOOKS, books) != binding.books_hash
        )
        action = self._merge(
            crm, books, dict(binding.base), crm_changed, books_changed, label, binding=binding
        )
        if owed and isinstance(action, Update):
            # The owed write-backs ride along with this update of the source record.
            extra, _values = created_patch(self.fmap, side, record, partner)
            if side is Side.CRM:
                action = replace(action, crm_patch={**action.crm_patch, **extra})
            else:
                action = replace(action, books_patch={**action.books_patch, **extra})
        return action

    def _merge(
        self,
        crm: Record,
        books: Record,
        base: dict[str, Any],
        crm_changed: bool,
        books_changed: bool,
        label: str,
        *,
        binding: Binding | None = None,
        matched_by: str | None = None,
    ) -> Action:
        fmap, lookups, side = self.fmap, self.page.lookups, self.side
        source = crm if side is Side.CRM else books
        partner_id = books.id if side is Side.CRM else crm.id
        try:
            crm_values = self._changed_values(Side.CRM, crm, base) if crm_changed else {}
            books_values = self._changed_values(Side.BOOKS, books, base) if books_changed else {}
        except MappingError as exc:
            return Fail(side, source, str(exc), label, partner_id)
        except MissingLookup as exc:
            return self._missing(source, exc, label, partner_id)
        policy_side = winner(self.flow.conflict_policy, crm, books, self.flow.first)
        result = merge(
            base,
            crm_values,
            books_values,
            keys=fmap.keys,
            receives_crm=set(fmap.receiving_keys(Side.CRM)),
            receives_books=set(fmap.receiving_keys(Side.BOOKS)),
            on_conflict=policy_side,
        )
        try:
            result = self._settle_computed(result, crm, books)
            to_crm = fmap.render(Side.CRM, result.base, result.to_crm, lookups)
            to_books = fmap.render(Side.BOOKS, result.base, result.to_books, lookups)
        except MappingError as exc:
            return Fail(side, source, str(exc), label, partner_id)
        except MissingLookup as exc:
            return self._missing(source, exc, label, partner_id)
        return Update(
            side=side,
            crm=crm,
            books=books,
            crm_patch=to_crm.fields,
            books_patch=to_books.fields,
            base=result.base,
            label=label,
            binding=binding,
            conflicts=result.conflicts,
            warnings=to_crm.warnings + to_books.warnings + _notes(source),
            matched_by=matched_by,
        )

    def _settle_computed(self, result: MergeResult, crm: Record, books: Record) -> MergeResult:
        """Computed fields as the side they are built from holds it after this write.

        A computed name built from a first and last name that this very update writes would
        otherwise be left stale until that side's next change.
        """
        fmap, lookups = self.fmap, self.page.lookups
        base = dict(result.base)
        to_crm, to_books = list(result.to_crm), list(result.to_books)
        for side, record, keys, targets in (
            (Side.CRM, crm, result.to_crm, to_books),
            (Side.BOOKS, books, result.to_books, to_crm),
        ):
            computed = [
                r
                for r in fmap.rules
                if r.sends(side) and isinstance(r.rule.transform, ComputedTransform)
            ]
            if not computed or not keys:
                continue
            after = apply_patch(record.data, fmap.render(side, base, keys, lookups).fields)
            for r in computed:
                value = r.read(side, after, lookups)
                if value != base.get(r.key):
                    base[r.key] = value
                    if r.receives(side.other) and r.key not in targets:
                        targets.append(r.key)
        return MergeResult(base, tuple(to_crm), tuple(to_books), result.conflicts)

    def _changed_values(
        self, side: Side, record: Record, base: Mapping[str, Any]
    ) -> dict[str, Any]:
        values, errors = self.fmap.read(side, record.data, self.page.lookups, base)
        if errors:
            raise MappingError("; ".join(errors))
        # Servers trim text, so a side that stored " Ann " as "Ann" did not change the name.
        return {k: v for k, v in values.items() if _trimmed(v) != _trimmed(base.get(k))}

    def _missing(
        self, record: Record, exc: MissingLookup, label: str, partner_id: str | None = None
    ) -> Fail:
        where = SIDE_LABEL[exc.side]
        return Fail(
            self.side,
            record,
            f"it refers to {where} record {exc.record_id} of flow {exc.flow}, which is not "
            f"synced yet; sync that record first (it is tried automatically) or fix its errors",
            label,
            partner_id,
            missing=exc,
        )

    # -- unbound records -------------------------------------------------------------------

    def _unbound(self, record: Record, label: str) -> Action:
        side, other, flow = self.side, self.other, self.flow
        failures, skips = check_required(flow, side, record.data)
        if failures:
            return Fail(side, record, "; ".join(failures), label)
        if skips:
            return Skip(side, record, "; ".join(skips), label)
        partner, key_field, problem = self._match(record)
        if problem:
            return Fail(side, record, problem, label)
        if partner is not None:
            policy = flow.duplicate_policy
            if record.id in self.page.in_flight and policy is not DuplicatePolicy.CLONE:
                # Not a duplicate: the record an earlier run made from this one and died
                # before binding. (A clone is sent again under its idempotency key.)
                self.claimed.add(partner.id)
                return self._link_overwrite(record, partner, label, key_field or "")
            if policy is DuplicatePolicy.SKIP:
                return Skip(
                    side,
                    record,
                    f"matches {SIDE_LABEL[other]} record {partner.id} by {key_field}; the "
                    "duplicate policy is 'skip', so neither is changed (choose 'overwrite' to "
                    "link them or 'clone' to create another)",
                    label,
                    partner.id,
                )
            if policy is DuplicatePolicy.OVERWRITE:
                self.claimed.add(partner.id)
                return self._link_overwrite(record, partner, label, key_field or "")
        if not flow.creates.writes(other):
            return Skip(
                side,
                record,
                f"made in the {SIDE_LABEL[side]} system, and flow {flow.name} creates records "
                f"in the {SIDE_LABEL[side]} system only; create it there, or give it "
                "the match key of an existing record",
                label,
            )
        return self._create(record, label)

    def _match(self, record: Record) -> tuple[Record | None, str | None, str | None]:
        for index, their_field, key in match_values(self.flow, self.side, record):
            # A partner outside the flow's view (a vendor, for a customer flow sharing one
            # module) is never a match, however alike the names.
            found = [
                c
                for c in self.page.candidates.get((index, key), ())
                if c.id not in self.claimed
                and not c.deleted
                and in_view(self.flow.views, self.other, c.data)
            ]
            if len(found) == 1:
                return found[0], their_field, None
            if len(found) > 1:
                ids = ", ".join(sorted(c.id for c in found)[:5])
                return (
                    None,
                    their_field,
                    f"{len(found)} {SIDE_LABEL[self.other]} records share its {their_field} "
                    f"({ids}); merge them or give them distinct values, then sync again",
                )
        return None, None, None

    def _link_overwrite(self, record: Record, partner: Record, label: str, key: str) -> Action:
        # Our values go over the existing partner: everything this side sends is a change.
        # Fields only the partner sends (an accounting balance) come across as its changes.
        crm, books = (record, partner) if self.side is Side.CRM else (partner, record)
        base: dict[str, Any] = {}
        try:
            other_values, errors = self.fmap.read(self.other, partner.data, self.page.lookups)
        except MissingLookup:
            other_values, errors = {}, ["lookup"]
        partner_sends = False
        if not errors:
            ours = set(self.fmap.sending_keys(self.side))
            base = {k: v for k, v in other_values.items() if k in ours}
            partner_sends = any(k not in ours for k in other_values)
        return self._merge(
            crm,
            books,
            base,
            self.side is Side.CRM or partner_sends,
            self.side is Side.BOOKS or partner_sends,
            label,
            matched_by=key,
        )

    def _create(self, record: Record, label: str) -> Action:
        side, other, fmap = self.side, self.other, self.fmap
        try:
            values, errors = fmap.read(side, record.data, self.page.lookups)
            if errors:
                return Fail(side, record, "; ".join(errors), label)
            rendered: Rendered = fmap.render(
                other, values, fmap.receiving_keys(other), self.page.lookups
            )
        except MappingError as exc:
            return Fail(side, record, str(exc), label)
        except MissingLookup as exc:
            return self._missing(record, exc, label)
        # What the new record would be written back had it been linked (a CRM product made
        # from a Xero item gets its Xero_ID), so a create and a link end alike.
        made = Record(record.id, record.module, rendered.fields, record.modified_at)
        fields = apply_patch(rendered.fields, write_back_patch(self.flow, other, made, record))
        return Create(
            side=side,
            source=record,
            fields=fields,
            base=values,
            source_hash=record_hash(fmap, side, record),
            label=label,
            warnings=rendered.warnings + _notes(record),
        )


def _notes(record: Record) -> tuple[str, ...]:
    """Notes the engine put on a record it read (about its gathered children)."""
    found = record.fields.get(NOTES)
    return tuple(str(n) for n in found) if isinstance(found, list) else ()


def _trimmed(value: Any) -> Any:
    """``value`` with surrounding spaces stripped from every text inside it, canonical."""
    if isinstance(value, str):
        return canon(value.strip())
    if isinstance(value, Mapping):
        return canon({k: _trimmed(v) for k, v in value.items()})
    if isinstance(value, list):
        return canon([_trimmed(v) for v in value])
    return value


def apply_patch(fields: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """The record's fields after ``patch`` (nested paths merged, lists replaced whole)."""
    out: dict[str, Any] = dict(fields)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            merged = dict(out[key])
            for sub, sub_value in _flatten(value):
                set_path(merged, sub, sub_value)
            out[key] = merged
        else:
            out[key] = value
    return out


def _flatten(value: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in value.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.extend(_flatten(v, path + "."))
        else:
            out.append((path, v))
    return out


def link_pair(
    fmap: FlowMap, crm: Record, books: Record, lookups: LookupTable, first: Side
) -> tuple[dict[str, Any], str, str]:
    """Base and hashes for a pair bound by an initial match, without writing to either side.

    The base is what the ``first`` side holds, so later changes on either side carry over
    while the differences found at match time stay until someone edits them.
    """
    source = crm if first is Side.CRM else books
    try:
        values, errors = fmap.read(first, source.data, lookups)
    except MissingLookup:
        values, errors = {}, ["lookup"]
    base = {} if errors else {k: canon(v) for k, v in values.items()}
    return base, record_hash(fmap, Side.CRM, crm), record_hash(fmap, Side.BOOKS, books)
